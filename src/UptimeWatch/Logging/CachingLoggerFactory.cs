using System.Collections.Concurrent;

namespace UptimeWatch.Logging;

/// <summary>
/// Serilog's <see cref="ILoggerFactory"/> builds a new logger (with its own event-id cache) on every
/// <see cref="CreateLogger"/>, and ASP.NET Core's authentication handlers ask for one on every request: with 10,000
/// open live streams that was about 2 KiB per connection. This hands out one logger per category, as the default
/// factory does.
/// </summary>
internal sealed class CachingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, factory) => factory.CreateLogger(name), inner);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}

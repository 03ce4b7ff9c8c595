using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Hosting;

internal static class HostingExtensions
{
    /// <summary>What every feature relies on: the clock, JSON shape, OpenAPI, shutdown bound.</summary>
    public static IHostApplicationBuilder AddHosting(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);

        // SQLite's "async" calls block a thread. On 2 cores the pool starts with 2 and grows slowly, so a burst of
        // database work could stall every check for up to a second (measured with 13 monitors). A higher floor
        // costs nothing until the threads are needed.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), completionPorts);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new UtcTimeConverter());
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        builder.Services.AddOpenApi();
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<UptimeWatchOptions>>((host, options) =>
                host.ShutdownTimeout = TimeSpan.FromSeconds(options.Value.Scheduler.ShutdownTimeoutSeconds) + SchedulerOptions.WriteReserve);
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<UptimeWatchOptions>>((forwarded, options) =>
            {
                var trusted = options.Value.ForwardedHeaders.TrustedProxies;
                // With no known proxy at all the middleware would believe everyone: an empty list turns it off instead.
                forwarded.ForwardedHeaders = trusted.Count == 0
                    ? ForwardedHeaders.None
                    : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                // Every trusted hop is unwrapped (a CDN in front of nginx, say); the first untrusted one is the client.
                forwarded.ForwardLimit = null;
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var network in trusted)
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            });
        return builder;
    }

    /// <summary>
    /// The client's address and scheme as a trusted reverse proxy saw them. First in the pipeline, so logs, rate
    /// limits and the admin WebSocket's Origin check all see the real client.
    /// </summary>
    public static IApplicationBuilder UseProxyHeaders(this IApplicationBuilder app) => app.UseForwardedHeaders();

    /// <summary>Every time in the API is ISO-8601 UTC with a Z, to the millisecond.</summary>
    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}

using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.Alerting;
using UptimeWatch.Alerting.Channels;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;

namespace UptimeWatch.Tests.Alerting;

/// <summary>Senders wired exactly as the app wires them (<see cref="ChannelsExtensions.AddChannelSenders"/>), and sample notifications.</summary>
internal sealed class ChannelTestKit : IDisposable
{
    /// <summary>A monitor name that breaks every markup that forgets to escape it.</summary>
    public const string NastyName = "<b>&\"x\"</b>";

    private readonly ServiceProvider _services;

    public ChannelTestKit()
    {
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddChannelSenders();
        _services = services.BuildServiceProvider();
    }

    public IServiceProvider Services => _services;

    public IChannelSender Sender(string type) => _services.GetServices<IChannelSender>().Single(s => s.Type == type);

    public static readonly DateTimeOffset At = new(2025, 3, 1, 14, 5, 9, TimeSpan.Zero);

    public static Notification Down(string name = "Checkout API", string reason = "HTTP 503 from https://shop.example.com/health") =>
        new(42, "alert:7:down:ops", 7, "down", "checkout-api", name, "https://shop.example.com/health", "down", "up", reason,
            At, At, "https://status.example.com/m/checkout-api");

    public static Notification Recovered(TimeSpan lasted) =>
        Down() with { Id = 43, Key = "alert:7:recovered:ops", Event = "recovered", Status = "up", PreviousStatus = "down", Reason = "HTTP 200", At = At + lasted };

    public static ChannelSettings Channel(string type, Uri? url, string? secret = null, string? chatId = null) =>
        new() { Name = "ops", Type = type, Url = url, Secret = secret, ChatId = chatId };

    public void Dispose() => _services.Dispose();
}

namespace UptimeWatch.Testing;

/// <summary>
/// The set-up the alert tests share: a <see cref="TargetServer"/> to monitor and a <see cref="HookReceiver"/> that
/// checks webhook signatures with <see cref="Secret"/> (unless started unsigned), with the settings that point a
/// "hook" webhook channel at it.
/// </summary>
internal sealed class HookedTarget : IAsyncDisposable
{
    public const string Secret = "receiver-shared-secret";

    private HookedTarget(TargetServer target, HookReceiver receiver) => (Target, Receiver) = (target, receiver);

    public TargetServer Target { get; }

    public HookReceiver Receiver { get; }

    /// <param name="signed">Whether the receiver checks signatures with <see cref="Secret"/>.</param>
    public static async Task<HookedTarget> StartAsync(bool signed = true) =>
        new(await TargetServer.StartAsync(), await HookReceiver.StartAsync(signed ? Secret : null));

    /// <summary>The "hook" channel's settings, then <paramref name="extra"/> (keys below <c>UptimeWatch:</c>).</summary>
    public Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UptimeWatch:Alerting:Channels:hook:Type"] = "webhook",
            ["UptimeWatch:Alerting:Channels:hook:Url"] = Receiver.Url("/hook").ToString(),
            ["UptimeWatch:Alerting:Channels:hook:Secret"] = Secret,
        };
        foreach (var (key, value) in extra)
        {
            settings["UptimeWatch:" + key] = value;
        }
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await Receiver.DisposeAsync();
        await Target.DisposeAsync();
    }
}

namespace UptimeWatch.Tests.Probing;

/// <summary>A <see cref="TargetServer"/> and the probes that check it: the set-up the HTTP probe tests share.</summary>
internal sealed class ProbedSite : IAsyncDisposable
{
    private ProbedSite(TargetServer target, ProbeHost probe) => (Target, Probe) = (target, probe);

    public TargetServer Target { get; }

    public ProbeHost Probe { get; }

    /// <param name="probe">How the probes are made (<see cref="ProbeHost.Create"/>, <see cref="ProbeHost.TrustingTestCa"/>).</param>
    public static async Task<ProbedSite> StartAsync(Func<ProbeHost> probe)
    {
        var target = await TargetServer.StartAsync();
        return new ProbedSite(target, probe());
    }

    public async ValueTask DisposeAsync()
    {
        Probe.Dispose();
        await Target.DisposeAsync();
    }
}

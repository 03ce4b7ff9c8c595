using UptimeWatch.Bench;

// Subcommands: the scenarios (probe, live, storage, startup, …) start everything they need; target, bare and floor are
// the helper processes the scenarios start. Every scenario has a hard deadline and kills what it started.
var command = args.FirstOrDefault() ?? "help";
var options = new Args(args.Skip(1).ToArray());
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
    Child.KillAll();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => Child.KillAll();

if (command is "target" or "bare" or "floor")
{
    return command switch
    {
        "target" => await Target.RunAsync(options),
        "bare" => await Bare.RunAsync(options),
        _ => await Floor.RunAsync(options),
    };
}

var deadline = TimeSpan.FromSeconds(options.Int("deadline", 900));
using var hard = new Timer(_ =>
{
    Console.Error.WriteLine($"[bench] hard deadline of {deadline.TotalSeconds} s reached: stopping everything");
    Child.KillAll();
    Environment.Exit(3);
}, null, deadline, Timeout.InfiniteTimeSpan);

try
{
    return command switch
    {
        "probe" => await ProbeScenario.RunAsync(options, cancel.Token),
        "live" => await LiveScenario.RunAsync(options, cancel.Token),
        "storage" => await StorageScenario.RunAsync(options, cancel.Token),
        "startup" => await StartupScenario.RunAsync(options, cancel.Token),
        "anonymous" => await AnonymousScenario.RunAsync(options, cancel.Token),
        "idle" => await IdleScenario.RunAsync(options, cancel.Token),
        "cluster" => await ClusterScenario.RunAsync(options, cancel.Token),
        "cluster-live" => await ClusterLiveScenario.RunAsync(options, cancel.Token),
        _ => Help(),
    };
}
finally
{
    Child.KillAll();
}

static int Help()
{
    Console.WriteLine("""
        UptimeWatch.Bench <scenario> [options]   (see docs/performance.md)
          probe    --monitors 10000 --interval 30 --warmup 45 --duration 120 [--bare fresh|pooled|both|none]
          live     --sse 10000 --polls 1000 --monitors 10 --interval 5 --flips 10 [--host-dll <dll>]
          storage  --monitors 100 [--requests 500]
          startup  --monitors 10000
          cluster  --pg <connection string, empty database> --nodes 2 --monitors 10000 --interval 30 --warmup 45 --duration 120 [--kill yes]
          cluster-live --pg <connection string, empty database> --nodes 2 --sse 2000 --polls 200 --monitors 10 --interval 5 --flips 10 [--viewers-node <n>, default the last] [--host-dll <dll>]
          idle     [--seconds 30]   (no monitors; then an empty ASP.NET Core app, the floor under it)
          anonymous --monitors 100 --clients 200 --duration 30 --events 100000 --sse 20 [--host-dll <another build's UptimeWatch.dll>]
        common: --deadline <s> (hard stop, default 900) --keep (keep the work folder)
        """);
    return 2;
}

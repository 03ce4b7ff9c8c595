namespace UptimeWatch.Monitoring;

/// <summary>
/// One change of monitor definitions at a time, whoever makes it (a config file reload, the console, the REST API):
/// each writes the rows, reloads the registry and reschedules as one step, so two of them never interleave.
/// </summary>
internal sealed class DefinitionGate
{
    private readonly OneAtATime _one = new();

    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken) => _one.EnterAsync(cancellationToken);
}

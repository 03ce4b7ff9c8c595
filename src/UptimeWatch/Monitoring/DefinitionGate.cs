namespace UptimeWatch.Monitoring;

/// <summary>
/// One change of monitor definitions at a time, whoever makes it (a config file reload, the console, the REST API):
/// each writes the rows, reloads the registry and reschedules as one step, so two of them never interleave.
/// </summary>
internal sealed class DefinitionGate
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        return new Release(_one);
    }

    private sealed class Release(SemaphoreSlim one) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                one.Release();
            }
        }
    }
}

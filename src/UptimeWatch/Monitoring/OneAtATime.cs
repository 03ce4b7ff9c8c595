namespace UptimeWatch.Monitoring;

/// <summary>
/// An async lock held for a <c>using</c> block: one holder at a time. Disposing the turn
/// twice releases it once, so a second dispose cannot let two holders in.
/// </summary>
internal sealed class OneAtATime
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        return new Turn(_one);
    }

    private sealed class Turn(SemaphoreSlim one) : IDisposable
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

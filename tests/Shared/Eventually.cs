using System.Diagnostics;

namespace UptimeWatch.Testing;

/// <summary>Waits for something the system does on its own schedule. Bounded: fails with the last value seen.</summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var watch = Stopwatch.StartNew();
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Gave up after {limit.TotalSeconds:0} s waiting for {what ?? "the condition"}; last value: {Describe(last)}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Runs a wait made of many reads (stream lines, socket messages) under ONE deadline for the whole wait. A bound on
    /// each read is not enough: traffic that does not end the wait (check results every second, keepalives) keeps every
    /// single read short, so such a loop could run for ever. The wait gets the deadline's token for its reads, and is
    /// also abandoned when the token fires, as some sockets (the test server's) ignore it. Fails naming
    /// <paramref name="what"/> and, when given, what <paramref name="seen"/> reports was read meanwhile.
    /// </summary>
    public static async Task<T> Within<T>(TimeSpan limit, string what, Func<CancellationToken, Task<T>> wait, Func<string>? seen = null)
    {
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            return await wait(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var detail = seen is null ? "" : $"; seen meanwhile: {seen()}";
            throw new TimeoutException($"Gave up after {limit.TotalSeconds:0.#} s waiting for {what}{detail}");
        }
    }

    private static string Describe<T>(T value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);
}

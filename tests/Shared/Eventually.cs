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

    private static string Describe<T>(T value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);
}

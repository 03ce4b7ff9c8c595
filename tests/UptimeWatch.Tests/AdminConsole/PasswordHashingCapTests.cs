using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using UptimeWatch.AdminConsole;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>
/// Password hashing (PBKDF2) runs under a global cap, whoever asks: beyond it requests wait their turn, and beyond
/// the queue they are refused with 503. Over real Kestrel, with a hasher the test can hold inside a hash.
/// </summary>
public sealed class PasswordHashingCapTests
{
    /// <summary>The real hasher, which can be told to stop inside each hash until released, and counts how many run at once.</summary>
    private sealed class HeldHasher : IPasswordHasher<AdminAccount>
    {
        private readonly PasswordHasher<AdminAccount> _real = new();
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;
        private int _maxRunning;
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Hold { get; set; }

        public SemaphoreSlim Entered { get; } = new(0);

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public void Release() => _release.TrySetResult();

        public string HashPassword(AdminAccount user, string password) => Run(() => _real.HashPassword(user, password));

        public PasswordVerificationResult VerifyHashedPassword(AdminAccount user, string hashedPassword, string providedPassword) =>
            Run(() => _real.VerifyHashedPassword(user, hashedPassword, providedPassword));

        private T Run<T>(Func<T> hash)
        {
            Interlocked.Increment(ref _calls);
            var running = Interlocked.Increment(ref _running);
            for (var max = _maxRunning; running > max; max = _maxRunning)
            {
                Interlocked.CompareExchange(ref _maxRunning, running, max);
            }
            try
            {
                if (Hold)
                {
                    Entered.Release();
                    _release.Task.Wait(TimeSpan.FromSeconds(60));
                }
                return hash();
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    /// <summary>The app on Kestrel with the held hasher behind a gate of one hash at a time and one waiting (the default is half the cores, eight times that waiting).</summary>
    private static (UptimeWatchApp App, PasswordHashGate Gate, HttpClient Http) Start(HeldHasher hasher)
    {
        var app = new UptimeWatchApp(TestPaths.NewTempDirectory(), [], new() { ["UptimeWatch:Admin:InitialPassword"] = AdminTesting.Password })
        {
            TestServices = services =>
            {
                services.AddSingleton<IPasswordHasher<AdminAccount>>(hasher);
                services.AddSingleton(_ => new PasswordHashGate(hasher, permits: 1, queue: 1));
            },
        };
        app.StartKestrel();
        return (app, app.Services.GetRequiredService<PasswordHashGate>(), app.KestrelClient());
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient http, CancellationToken cancellationToken = default) =>
        http.PostAsJsonAsync("/api/admin/login", new { password = AdminTesting.Password }, cancellationToken);

    [Fact]
    public async Task Beyond_the_cap_a_sign_in_waits_its_turn_and_beyond_the_queue_it_is_503_with_Retry_After()
    {
        var hasher = new HeldHasher();
        var (app, gate, http) = Start(hasher);
        await using var _ = app;
        using var __ = http;
        Task<HttpResponseMessage> LoginAsync() => PasswordHashingCapTests.LoginAsync(http);
        hasher.Hold = true;

        var hashing = LoginAsync();
        Assert.True(await hasher.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first sign-in never reached the hasher");
        var waiting = LoginAsync();
        await Eventually.Until(() => Task.FromResult(gate.Statistics!.CurrentQueuedCount), n => n == 1, what: "the second sign-in to wait");
        using var refused = await LoginAsync();
        hasher.Release();
        using var first = await hashing;
        using var second = await waiting;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(PasswordHashGate.BusyMessage, (await refused.ProblemAsync()).Error);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(1, hasher.MaxRunning);
    }

    [Fact]
    public async Task A_waiting_sign_in_whose_client_gives_up_leaves_the_queue_without_hashing()
    {
        var hasher = new HeldHasher();
        var (app, gate, http) = Start(hasher);
        await using var _ = app;
        using var __ = http;
        // The account was made at start-up, with one hash.
        var before = hasher.Calls;
        hasher.Hold = true;

        var hashing = LoginAsync(http);
        Assert.True(await hasher.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first sign-in never reached the hasher");
        using var givesUp = new CancellationTokenSource();
        var abandoned = LoginAsync(http, givesUp.Token);
        await Eventually.Until(() => Task.FromResult(gate.Statistics!.CurrentQueuedCount), n => n == 1, what: "the second sign-in to wait");
        await givesUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await Eventually.Until(() => Task.FromResult(gate.Statistics!.CurrentQueuedCount), n => n == 0, what: "the abandoned sign-in to leave the queue");
        // Its place is free again: the next one waits instead of being refused.
        var next = LoginAsync(http);
        await Eventually.Until(() => Task.FromResult(gate.Statistics!.CurrentQueuedCount), n => n == 1, what: "the next sign-in to wait");
        hasher.Release();
        using var first = await hashing;
        using var third = await next;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, third.StatusCode));
        Assert.Equal(2, hasher.Calls - before);
    }

    [Fact]
    public async Task By_default_hashing_is_capped_at_half_the_cores_and_at_least_one()
    {
        await using var app = AdminTesting.NewApp();

        var gate = app.Services.GetRequiredService<PasswordHashGate>();

        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), gate.Statistics!.CurrentAvailablePermits);
    }
}

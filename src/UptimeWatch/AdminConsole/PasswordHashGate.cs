using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// A global cap on password hashing (PBKDF2, deliberately slow: tens of milliseconds of one core per attempt).
/// The per-client sign-in limit does not bound it: many clients, or one with many IPv6 /64s, could otherwise keep
/// every core hashing and starve the checks. At most <see cref="DefaultPermits"/> hashes run at once (half the cores,
/// at least one); up to <see cref="QueueFactor"/> times as many requests wait their turn (with their request's
/// cancellation); beyond that a request is refused at once with 503 and <c>Retry-After</c>.
/// </summary>
internal sealed class PasswordHashGate(IPasswordHasher<AdminAccount> hasher, int permits, int queue) : IDisposable
{
    public const int QueueFactor = 8;

    public static int DefaultPermits => Math.Max(1, Environment.ProcessorCount / 2);

    public const string BusyMessage = "The server is busy checking other passwords: try again in a few seconds";

    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = permits,
        QueueLimit = queue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public PasswordHashGate(IPasswordHasher<AdminAccount> hasher) : this(hasher, DefaultPermits, DefaultPermits * QueueFactor)
    {
    }

    /// <summary>How many are hashing and how many wait (for the tests and the curious).</summary>
    public RateLimiterStatistics? Statistics => _limiter.GetStatistics();

    /// <summary>The hash of <paramref name="password"/>, or null when the gate is full (answer <see cref="Busy"/>).</summary>
    public async Task<string?> HashAsync(AdminAccount account, string password, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        return lease.IsAcquired ? hasher.HashPassword(account, password) : null;
    }

    /// <summary>The verdict, or null when the gate is full (answer <see cref="Busy"/>).</summary>
    public async Task<PasswordVerificationResult?> VerifyAsync(AdminAccount account, string hash, string password, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        return lease.IsAcquired ? hasher.VerifyHashedPassword(account, hash, password) : null;
    }

    /// <summary>503 with <c>Retry-After</c>: the server, not this client, is over its limit.</summary>
    public static ProblemHttpResult Busy(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "5";
        return AdminProblems.Result(AdminErrorCodes.Unavailable, BusyMessage);
    }

    public void Dispose() => _limiter.Dispose();
}

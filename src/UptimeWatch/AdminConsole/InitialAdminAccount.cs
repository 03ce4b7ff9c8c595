using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// At start-up, when there is no admin account yet: creates it from <c>Admin:InitialPassword</c> (for installs that
/// are never opened in a browser before use), or else issues the one-time <see cref="SetupCode"/> that first-run
/// setup needs. Runs after the database migrator (registered after it), and before the server takes requests.
/// </summary>
internal sealed partial class InitialAdminAccount(
    IOptions<UptimeWatchOptions> options,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IPasswordHasher<AdminAccount> hasher,
    SetupCode setupCode,
    TimeProvider time,
    ILogger<InitialAdminAccount> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Nodes of a cluster starting together with the same InitialPassword: one creates the account, the others find
        // it. (SQLite has one node: no transaction, as before.)
        await using var transaction = db.Database.IsNpgsql() ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await ClusterLocks.TakeForTransactionAsync(db, ClusterLocks.InitialAccount, cancellationToken);
        var exists = await db.AdminAccounts.AnyAsync(cancellationToken);
        if (options.Value.Admin.InitialPassword is not { } password)
        {
            if (exists)
            {
                // A file left by a start that was stopped right after setup: its code is void, so it goes.
                setupCode.Retire();
            }
            else
            {
                setupCode.Issue();
            }
            return;
        }
        setupCode.Retire();
        if (exists)
        {
            // The console may have changed the password since; the config value must not silently reset it.
            LogIgnored();
            return;
        }
        db.AdminAccounts.Add(AdminAccountFactory.Create(password, hasher, time));
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        LogCreated();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Admin account created from Admin:InitialPassword")]
    private partial void LogCreated();

    [LoggerMessage(LogLevel.Information, "Admin:InitialPassword is ignored: the admin account already exists (change the password in the console)")]
    private partial void LogIgnored();
}

internal static class AdminAccountFactory
{
    public static AdminAccount Create(string password, IPasswordHasher<AdminAccount> hasher, TimeProvider time)
    {
        var account = Create(time);
        account.PasswordHash = hasher.HashPassword(account, password);
        return account;
    }

    /// <summary>An account whose <see cref="AdminAccount.PasswordHash"/> the caller fills in.</summary>
    public static AdminAccount Create(TimeProvider time) =>
        new() { PasswordHash = "", SecurityStamp = NewStamp(), PasswordChangedAt = time.GetUtcNow() };

    public static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}

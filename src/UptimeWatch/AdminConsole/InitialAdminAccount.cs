using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Creates the admin account from <c>Admin:InitialPassword</c> when there is none yet, for installs that are never
/// opened in a browser before use. Runs after the database migrator (registered after it).
/// </summary>
internal sealed partial class InitialAdminAccount(
    IOptions<UptimeWatchOptions> options,
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    IPasswordHasher<AdminAccount> hasher,
    TimeProvider time,
    ILogger<InitialAdminAccount> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Admin.InitialPassword is not { } password)
        {
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.AdminAccounts.AnyAsync(cancellationToken))
        {
            // The console may have changed the password since; the config value must not silently reset it.
            LogIgnored();
            return;
        }
        db.AdminAccounts.Add(AdminAccountFactory.Create(password, hasher, time));
        await db.SaveChangesAsync(cancellationToken);
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
        var account = new AdminAccount { PasswordHash = "", SecurityStamp = NewStamp(), PasswordChangedAt = time.GetUtcNow() };
        account.PasswordHash = hasher.HashPassword(account, password);
        return account;
    }

    public static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}

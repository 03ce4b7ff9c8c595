using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

internal static class AdminConsoleExtensions
{
    public const string LoginRateLimit = "admin-login";
    public const int LoginAttemptsPerMinute = 10;
    public const string CookieName = "uw_session";

    /// <summary>The Data Protection application name every node of a cluster shares (PostgreSQL only).</summary>
    public const string ClusterApplicationName = "UptimeWatch";

    /// <summary>How long a session cookie stays valid without use (sliding).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    /// <summary>Admin sign-in: session cookies, API tokens, the "Admin" policies and the login rate limit.</summary>
    public static IHostApplicationBuilder AddAdminConsole(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<AdminSessions>();
        services.AddHostedService<ClusterRevocations>();
        services.AddSingleton<AdminCommands>();
        // The command handlers, by area (AdminCommandTable says which answers which command).
        services.AddSingleton<DefinitionChanges>();
        services.AddSingleton<MonitorQueries>();
        services.AddSingleton<MonitorEdits>();
        services.AddSingleton<MonitorOperations>();
        services.AddSingleton<MaintenanceCommands>();
        services.AddSingleton<AlertCommands>();
        services.AddSingleton<ChannelCommands>();
        services.AddSingleton<ServerStatus>();
        services.AddSingleton<IPasswordHasher<AdminAccount>, PasswordHasher<AdminAccount>>();
        services.AddSingleton(sp => new PasswordHashGate(sp.GetRequiredService<IPasswordHasher<AdminAccount>>()));
        services.AddSingleton<SetupCode>();
        services.AddSingleton<AdminCookieEvents>();
        // Session cookies are encrypted with Data Protection keys. On SQLite (one node) they are kept in the data
        // folder (<data>/keys), so that sessions survive a restart or a new container (the default location is
        // in-memory in containers). On PostgreSQL they are kept in the database, under one application name, so that
        // every node decrypts every node's cookies (no sticky sessions needed); nodes installed in different folders
        // would otherwise each have their own discriminator (the content root).
        services.AddDataProtection();
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<UptimeWatchOptions>, ILoggerFactory, IServiceProvider>((keys, options, logs, provider) =>
            keys.XmlRepository = options.Value.Storage.IsPostgres
                ? new EntityFrameworkCoreXmlRepository<UptimeWatchDbContext>(provider, logs)
                : new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(StorageExtensions.DataDirectory(options.Value), "keys")), logs));
        services.AddOptions<DataProtectionOptions>().Configure<IOptions<UptimeWatchOptions>>((protection, options) =>
        {
            if (options.Value.Storage.IsPostgres)
            {
                protection.ApplicationDiscriminator = ClusterApplicationName;
            }
        });
        // After AddStorage, so the database is migrated before the account is looked for.
        services.AddHostedService<InitialAdminAccount>();

        services.AddAuthentication(AdminClaims.Scheme)
            .AddPolicyScheme(AdminClaims.Scheme, "Session cookie or API token", o => o.ForwardDefaultSelector = context =>
                AdminClaims.IsBearer(context.Request) ? AdminClaims.BearerScheme : AdminClaims.CookieScheme)
            .AddCookie(AdminClaims.CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure whenever the request came over HTTPS (behind a proxy: with forwarded headers applied).
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = SessionLifetime;
                o.SlidingExpiration = true;
                o.EventsType = typeof(AdminCookieEvents);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(AdminClaims.BearerScheme, null);

        services.AddAuthorizationBuilder()
            .AddPolicy(AdminClaims.Policy, p => p.RequireAuthenticatedUser().RequireClaim(AdminClaims.Method, "session", "token"))
            .AddPolicy(AdminClaims.SessionPolicy, p => p.RequireAuthenticatedUser().RequireClaim(AdminClaims.Method, "session"));

        services.AddRateLimiter(o =>
        {
            // The built-in limiters keep their own clock (no TimeProvider), so tests exercise them in real time.
            // Keyed like the live-connection limits: an IPv6 client by its /64, so rotating addresses gains nothing.
            o.AddPolicy(LoginRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                ClientKey.For(context),
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = LoginAttemptsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            o.OnRejected = (context, cancellationToken) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? (int)Math.Ceiling(retryAfter.TotalSeconds)
                    : 60;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(AdminProblems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"Too many sign-in attempts from this address: at most {LoginAttemptsPerMinute} a minute. Try again in {seconds} seconds."));
            };
        });
        return builder;
    }

    public static WebApplication MapAdminConsole(this WebApplication app)
    {
        // Authentication and authorization middleware are added by the host because their services exist;
        // the rate limiter must be added by hand, after routing so that endpoint policies apply. The write guard
        // comes first: a refused cross-origin request must not use up the owner's sign-in attempts.
        app.UseAdminWriteGuard();
        app.UseRateLimiter();
        app.MapAdminAuthApi();
        app.MapApiTokenApi();
        app.MapAdminApi();
        // The middleware pings every socket and drops a peer that stops answering (a laptop closed mid-session),
        // which a TCP connection alone would only notice after many minutes.
        var keepAlive = AdminSocketEndpoint.KeepAlive(app.Services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Admin);
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = keepAlive.Interval,
            KeepAliveTimeout = keepAlive.Timeout,
        });
        app.MapAdminSocket();
        app.MapAdminConsoleUi();
        return app;
    }
}

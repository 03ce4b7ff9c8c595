using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace UptimeWatch.Storage;

/// <summary>
/// The whole schema. Kept provider-neutral: times are stored as Unix milliseconds so that ordering and
/// range filters translate the same on SQLite and PostgreSQL.
/// </summary>
public sealed class UptimeWatchDbContext(DbContextOptions<UptimeWatchDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<MonitorEntity> Monitors => Set<MonitorEntity>();
    public DbSet<CheckResult> CheckResults => Set<CheckResult>();
    public DbSet<StatusEvent> StatusEvents => Set<StatusEvent>();
    public DbSet<AdminAccount> AdminAccounts => Set<AdminAccount>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<ProbeLocation> Locations => Set<ProbeLocation>();
    public DbSet<AgentToken> AgentTokens => Set<AgentToken>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<EndedSession> EndedSessions => Set<EndedSession>();
    public DbSet<OutboxNotification> Notifications => Set<OutboxNotification>();
    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();
    public DbSet<MaintenanceEntry> MaintenanceEntries => Set<MaintenanceEntry>();
    public DbSet<AppliedConfig> AppliedConfigs => Set<AppliedConfig>();

    /// <summary>
    /// The keys that encrypt admin session cookies, when the provider is PostgreSQL: every node reads the same keys,
    /// so a cookie issued by one node is good on the others. On SQLite (one node) the keys stay in the data folder and
    /// this table stays empty.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>Hourly aggregates (kept as long as daily ones, for the 24 h response-time chart and partial days).</summary>
    public DbSet<Rollup> HourlyRollups => Set<Rollup>("HourlyRollup");

    /// <summary>Daily aggregates: the 90-day bars and uptime over 7/30/90 days.</summary>
    public DbSet<Rollup> DailyRollups => Set<Rollup>("DailyRollup");

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        configurationBuilder.Properties<MonitorStatus>().HaveConversion<string>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MonitorEntity>(m =>
        {
            m.ToTable("monitors");
            m.HasIndex(x => x.Slug).IsUnique();
            m.HasIndex(x => x.PushToken).IsUnique();
            m.Property(x => x.Slug).HasMaxLength(100);
            m.Property(x => x.Name).HasMaxLength(200);
            m.Property(x => x.Group).HasMaxLength(100);
            m.Property(x => x.Type).HasMaxLength(8);
            m.Property(x => x.Target).HasMaxLength(2048);
            m.Property(x => x.Source).HasMaxLength(16);
            m.Property(x => x.PushToken).HasMaxLength(128);
            m.Property(x => x.VerdictHistory).HasMaxLength(32);
        });

        modelBuilder.Entity<CheckResult>(c =>
        {
            c.ToTable("check_results");
            // Every read and the retention prune go per monitor by time; an index on At alone would cost ~16 bytes
            // per stored check for the prune only.
            c.HasIndex(x => new { x.MonitorId, x.At });
            // Exactly one check per monitor, location and slot across a cluster; NULL slots (SQLite, check now) never
            // collide. Filtered, so the rows without a slot (all of them on SQLite) cost nothing in it.
            c.HasIndex(x => new { x.MonitorId, x.LocationId, x.Slot }).IsUnique().HasFilter("\"Slot\" IS NOT NULL");
            c.Property(x => x.Node).HasMaxLength(64);
            c.Property(x => x.Outcome).HasConversion<int>();
            c.Property(x => x.Error).HasMaxLength(1000);
            c.Property(x => x.Category).HasMaxLength(32);
            c.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).OnDelete(DeleteBehavior.Restrict);
        });

        foreach (var (name, table) in new[] { ("HourlyRollup", "hourly_rollups"), ("DailyRollup", "daily_rollups") })
        {
            modelBuilder.SharedTypeEntity<Rollup>(name, r =>
            {
                r.ToTable(table);
                r.HasKey(x => new { x.MonitorId, x.Start });
                r.HasIndex(x => x.Start);
                r.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).OnDelete(DeleteBehavior.Restrict);
            });
        }

        modelBuilder.Entity<StatusEvent>(e =>
        {
            e.ToTable("status_events");
            e.HasIndex(x => x.MonitorId);
            e.Property(x => x.Reason).HasMaxLength(1000);
            e.Property(x => x.Category).HasMaxLength(32);
            e.Property(x => x.PublicReason).HasMaxLength(200);
            e.Property(x => x.Kind).HasConversion<int>();
            e.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Alert>(a =>
        {
            a.ToTable("alerts");
            // Open alerts are looked up by monitor on every status change.
            a.HasIndex(x => new { x.MonitorId, x.ResolvedAt });
            a.HasIndex(x => x.RaisedEventId);
            a.Property(x => x.Kind).HasMaxLength(16);
            a.Property(x => x.Reason).HasMaxLength(1000);
            a.Property(x => x.AcknowledgedBy).HasMaxLength(200);
            a.Property(x => x.Note).HasMaxLength(1000);
            a.Property(x => x.ResolvedReason).HasMaxLength(1000);
            a.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<MaintenanceEntry>(w =>
        {
            w.ToTable("maintenance_windows");
            w.HasIndex(x => new { x.MonitorId, x.End });
            w.Property(x => x.Reason).HasMaxLength(500);
            w.Property(x => x.CreatedBy).HasMaxLength(200);
            w.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<AdminAccount>(a =>
        {
            a.ToTable("admin_accounts");
            a.HasIndex(x => x.UserName).IsUnique();
            a.Property(x => x.UserName).HasMaxLength(100);
            a.Property(x => x.PasswordHash).HasMaxLength(200);
            a.Property(x => x.SecurityStamp).HasMaxLength(64);
        });

        modelBuilder.Entity<OutboxNotification>(n =>
        {
            n.ToTable("notifications");
            n.HasIndex(x => x.Key).IsUnique();
            // The dispatcher's question: the oldest pending notification of each channel.
            n.HasIndex(x => new { x.State, x.Channel, x.Id });
            n.HasIndex(x => x.AlertId);
            n.Property(x => x.Key).HasMaxLength(200);
            n.Property(x => x.Channel).HasMaxLength(50);
            n.Property(x => x.Event).HasMaxLength(32);
            n.Property(x => x.State).HasConversion<int>();
            n.Property(x => x.LastError).HasMaxLength(1000);
            // Optional: a system alert (a probe location offline) is about UptimeWatch itself and has no monitor.
            n.HasOne<MonitorEntity>().WithMany().HasForeignKey(x => x.MonitorId).IsRequired(false).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<DataProtectionKey>(k => k.ToTable("data_protection_keys"));

        modelBuilder.Entity<DeliveryAttempt>(a =>
        {
            a.ToTable("delivery_attempts");
            a.HasIndex(x => x.NotificationId);
            a.Property(x => x.Error).HasMaxLength(1000);
            a.HasOne<OutboxNotification>().WithMany().HasForeignKey(x => x.NotificationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AppliedConfig>(c =>
        {
            c.ToTable("applied_configs");
            c.HasIndex(x => x.Hash);
            c.Property(x => x.Hash).HasMaxLength(64);
            c.Property(x => x.AppliedBy).HasMaxLength(200);
            c.Property(x => x.File).HasMaxLength(1000);
        });

        modelBuilder.Entity<EndedSession>(s =>
        {
            s.ToTable("ended_sessions");
            s.HasKey(x => x.SessionId);
            s.Property(x => x.SessionId).HasMaxLength(64);
            s.HasIndex(x => x.EndedAt);
        });

        modelBuilder.Entity<ApiToken>(t =>
        {
            t.ToTable("api_tokens");
            t.HasIndex(x => x.Hash).IsUnique();
            t.Property(x => x.Name).HasMaxLength(100);
            t.Property(x => x.Prefix).HasMaxLength(8);
            t.Property(x => x.Hash).HasMaxLength(64);
        });

        modelBuilder.Entity<ProbeLocation>(l =>
        {
            l.ToTable("locations");
            l.HasIndex(x => x.Name).IsUnique();
            l.Property(x => x.Name).HasMaxLength(32);
        });

        modelBuilder.Entity<AgentToken>(t =>
        {
            t.ToTable("agent_tokens");
            t.HasIndex(x => x.Hash).IsUnique();
            t.HasIndex(x => x.LocationId);
            t.HasOne<ProbeLocation>().WithMany().HasForeignKey(x => x.LocationId).OnDelete(DeleteBehavior.Restrict);
            t.Property(x => x.Prefix).HasMaxLength(13);
            t.Property(x => x.Hash).HasMaxLength(64);
        });
    }
}

/// <summary>Stores times as Unix milliseconds (UTC): compact, and ordered the same on every provider.</summary>
public sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(),
    v => DateTimeOffset.FromUnixTimeMilliseconds(v));

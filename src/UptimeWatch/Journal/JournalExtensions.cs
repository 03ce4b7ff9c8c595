namespace UptimeWatch.Journal;

internal static class JournalExtensions
{
    /// <summary>
    /// The writer and its two halves, the live hub it publishes to, the outbox signal it wakes, and the reader every
    /// transport replays from. Call right after <c>AddStorage</c>: hosted services stop in reverse order, so the
    /// writer stops (and drains its queue) after the scheduler that feeds it, and before the data-directory lock is released.
    /// </summary>
    public static IHostApplicationBuilder AddJournal(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BatchWriter>();
        builder.Services.AddSingleton<AfterCommit>();
        builder.Services.AddSingleton<JournalWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<JournalWriter>());
        builder.Services.AddSingleton<EventHub>();
        builder.Services.AddSingleton<LivePublisher>();
        builder.Services.AddSingleton<NotificationSignal>();
        builder.Services.AddSingleton<LiveEvents>();
        builder.Services.AddSingleton<JournalReader>();
        // On PostgreSQL only (it does nothing on SQLite): feeds the live hub from the log, for every node alike.
        builder.Services.AddSingleton<JournalTail>();
        builder.Services.AddHostedService(services => services.GetRequiredService<JournalTail>());
        return builder;
    }
}

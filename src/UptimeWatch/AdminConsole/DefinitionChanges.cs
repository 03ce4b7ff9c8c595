using Microsoft.EntityFrameworkCore;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>What a definition change did: the monitor it concerns and how (<c>created</c>, <c>updated</c>, <c>deleted</c>).</summary>
/// <param name="Reconcile">Whether the schedule changes too (a maintenance window does not move a trigger).</param>
/// <param name="SaveConflict">Thrown instead when saving breaks a unique index (a push token taken meanwhile).</param>
internal sealed record DefinitionChange(string Slug, string Kind, bool Reconcile = true, AdminCommandException? SaveConflict = null);

/// <summary>
/// The one way a console command changes what is monitored, like a config reload does: under the
/// <see cref="DefinitionGate"/>, change the rows, save, reload the registry, reconcile the schedule, then tell the
/// consoles (<c>monitors.changed</c>). The change itself is the caller's; it returns null when nothing changed.
/// </summary>
internal sealed class DefinitionChanges(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    DefinitionGate gate,
    MonitorRegistry registry,
    ScheduleReconciler reconciler,
    LivePublisher live,
    MonitorChangeSignal cluster)
{
    /// <returns>The change made, or null when there was nothing to change.</returns>
    public async Task<DefinitionChange?> ApplyAsync(Func<UptimeWatchDbContext, CancellationToken, Task<DefinitionChange?>> change,
        CancellationToken cancellationToken)
    {
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (await change(db, cancellationToken) is not { } made)
            {
                return null;
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (made.SaveConflict is { } conflict)
            {
                throw conflict;
            }
            await registry.LoadAsync(cancellationToken);
            if (made.Reconcile)
            {
                await reconciler.ReconcileAsync(cancellationToken);
            }
            live.PublishAdmin("monitors.changed", new MonitorsChanged(made.Slug, made.Kind));
            // The other nodes of a cluster apply it too (0 when it is no longer active here: deleted).
            var id = registry.Active.FirstOrDefault(m => m.Definition.Slug == made.Slug)?.Id ?? 0;
            await cluster.NotifyAsync(id, made.Slug, made.Kind, cancellationToken);
            return made;
        }
    }
}

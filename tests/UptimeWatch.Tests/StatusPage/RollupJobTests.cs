using Microsoft.EntityFrameworkCore;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.StatusPage;

public sealed class RollupJobTests
{
    [Fact]
    public async Task The_job_rolls_up_shortly_after_start_and_again_every_few_minutes_without_being_asked()
    {
        await using var app = HistoryApp.Start();
        var shop = await app.AddMonitorAsync("Shop");
        await app.AddChecksAsync(shop.Id, (app.Now.AddMinutes(-1), CheckOutcome.Up, 100, false));

        app.Time.Advance(RollupJob.StartDelay + TimeSpan.FromSeconds(1));
        await Eventually.Until(() => HourlyChecksAsync(app, shop.Id), n => n == 1, TimeSpan.FromSeconds(10), "the first rollup");

        await app.AddChecksAsync(shop.Id, (app.Now, CheckOutcome.Down, null, false));
        app.Time.Advance(RollupJob.Interval);
        await Eventually.Until(() => HourlyChecksAsync(app, shop.Id), n => n == 2, TimeSpan.FromSeconds(10), "the next rollup");
    }

    private static async Task<int> HourlyChecksAsync(HistoryApp app, int monitorId)
    {
        await using var db = app.Db();
        return await db.HourlyRollups.Where(r => r.MonitorId == monitorId).SumAsync(r => r.Checks);
    }
}

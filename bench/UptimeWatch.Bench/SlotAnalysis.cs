using Microsoft.Data.Sqlite;

namespace UptimeWatch.Bench;

/// <summary>
/// Which slots were due in a window and what happened to each, from the check rows UptimeWatch stored.
/// </summary>
/// <remarks>
/// The intended slot times follow from the scheduler's phase rule (<c>ScheduleReconciler.FirstSlot</c>): monitor
/// <c>id</c> with interval <c>I</c> ms fires at the Unix milliseconds <c>t</c> with
/// <c>t mod I = ((uint)id · 2654435761) mod I</c>, and a simple trigger keeps that cadence for ever. A check row's
/// <c>At</c> is when the check started, so lateness = At − its slot; a row up to I/2 before a slot counts as that
/// slot, early (Quartz may fire a few ms early). Missed slots are stored with At = the slot itself.
/// </remarks>
internal sealed record SlotAnalysis(long Due, long Done, long Missed, long Absent, long Down, string? TopError,
    double LatenessP50, double LatenessP99, double LatenessMax)
{
    /// <summary>The scheduler's phase of a monitor, copied from ScheduleReconciler.FirstSlot.</summary>
    public static long Phase(int monitorId, long intervalMs) => unchecked((uint)monitorId * 2654435761u) % intervalMs;

    public static long Mod(long a, long m) => ((a % m) + m) % m;

    public static SlotAnalysis Read(Harness h, int intervalSeconds, long t0, long t1)
    {
        var intervalMs = intervalSeconds * 1000L;
        using var db = h.OpenDatabase();
        var ids = new List<int>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT Id FROM monitors WHERE ArchivedAt IS NULL AND IntervalSeconds = $i";
            cmd.Parameters.AddWithValue("$i", intervalSeconds);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                ids.Add(r.GetInt32(0));
            }
        }
        long due = 0;
        foreach (var id in ids)
        {
            var first = t0 + Mod(Phase(id, intervalMs) - t0, intervalMs);
            due += first < t1 ? (t1 - 1 - first) / intervalMs + 1 : 0;
        }

        var done = new HashSet<(int, long)>();
        var missed = new HashSet<(int, long)>();
        var lateness = new List<double>();
        var errors = new Dictionary<string, int>();
        long down = 0;
        var known = ids.ToHashSet();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT MonitorId, At, Outcome, Error FROM check_results WHERE At >= $from AND At < $to";
            cmd.Parameters.AddWithValue("$from", t0 - intervalMs);
            cmd.Parameters.AddWithValue("$to", t1 + intervalMs);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var id = r.GetInt32(0);
                if (!known.Contains(id))
                {
                    continue;
                }
                var at = r.GetInt64(1);
                var outcome = r.GetInt32(2);
                var d = Mod(at - Phase(id, intervalMs), intervalMs);
                var (slot, late) = d > intervalMs / 2 ? (at - d + intervalMs, d - intervalMs) : (at - d, d);
                if (slot < t0 || slot >= t1)
                {
                    continue;
                }
                if (outcome == 3)
                {
                    missed.Add((id, slot));
                    continue;
                }
                if (done.Add((id, slot)))
                {
                    lateness.Add(late);
                }
                if (outcome == 2)
                {
                    down++;
                    var error = r.IsDBNull(3) ? "?" : r.GetString(3);
                    errors[error] = errors.GetValueOrDefault(error) + 1;
                }
            }
        }
        missed.ExceptWith(done);
        lateness.Sort();
        var top = errors.OrderByDescending(e => e.Value).Select(e => $"{e.Value}× \"{e.Key}\"").FirstOrDefault();
        return new SlotAnalysis(due, done.Count, missed.Count, due - done.Count - missed.Count, down, top,
            Harness.Percentile(lateness, 50), Harness.Percentile(lateness, 99), lateness.Count > 0 ? lateness[^1] : double.NaN);
    }
}

/// <summary>Bytes on disk per stored check.</summary>
internal static class StorageMath
{
    /// <summary>
    /// Page accounting without dbstat (the bundled SQLite has no dbstat table): copy the database with
    /// <c>VACUUM INTO</c> (densely packed), then drop check_results' indexes and vacuum, then drop the table and
    /// vacuum; the file shrinks by exactly the pages the indexes and the table used. Divided by the rows.
    /// </summary>
    public static (double BytesPerCheck, string Text) BytesPerCheck(Harness h)
    {
        var copy = Path.Combine(h.Work, "vacuumed.db");
        File.Delete(copy);
        using (var db = h.OpenDatabase())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"VACUUM INTO '{copy}'";
            cmd.ExecuteNonQuery();
        }
        using var c = new SqliteConnection($"Data Source={copy};Pooling=False;Foreign Keys=False");
        c.Open();
        object? Run(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }
        long Size() => Convert.ToInt64(Run("PRAGMA page_count"), System.Globalization.CultureInfo.InvariantCulture)
                       * Convert.ToInt64(Run("PRAGMA page_size"), System.Globalization.CultureInfo.InvariantCulture);
        var rows = Convert.ToInt64(Run("SELECT count(*) FROM check_results"), System.Globalization.CultureInfo.InvariantCulture);
        var whole = Size();
        var indexes = Harness.Column<string>(c, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'check_results' AND sql IS NOT NULL");
        foreach (var index in indexes)
        {
            Run($"DROP INDEX \"{index}\"");
        }
        Run("VACUUM");
        var withoutIndexes = Size();
        Run("DROP TABLE check_results");
        Run("VACUUM");
        var withoutTable = Size();
        var n = (double)Math.Max(1, rows);
        var perRow = (whole - withoutTable) / n;
        return (perRow, $"{perRow:F1} B ({rows:N0} rows: table {(withoutIndexes - withoutTable) / n:F1} B + {indexes.Count} indexes {(whole - withoutIndexes) / n:F1} B)");
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Operations;

/// <summary>
/// <c>migrate-data --from &lt;sqlite file&gt; --to &lt;connection string&gt;</c>: moves a SQLite install to PostgreSQL.
/// Migrates the target's schema, then copies every table of the model with its ids and sets the identity sequences
/// past them. The source is opened read-only, inside one read transaction (one consistent snapshot), and never
/// written; its data folder's lock is held meanwhile, so neither a running UptimeWatch nor one started during the copy
/// can write to it. Resumable: a run stopped anywhere (even <c>kill -9</c>) is run again with the same arguments and
/// goes on where it stopped. A target with rows of its own is refused unless <c>--overwrite</c> says to empty it.
/// </summary>
/// <remarks>Exit codes: 0 copied and verified; 1 the copy failed or the counts differ; 2 refused (bad arguments, the
/// source in use or of another schema, the target not empty).</remarks>
internal static class MigrateDataCommand
{
    public const int DefaultBatchSize = 5_000;
    private const int MaxBatchSize = 100_000;

    /// <summary>
    /// One row in the target records the run: which source, its row counts when the copy started, and whether it
    /// finished. A second run resumes only a copy of the same, unchanged source; anything else is someone's data.
    /// </summary>
    private const string MarkerTable = "__uptimewatch_migrate_data";

    private const string Arguments = "--from <sqlite file>, --to <connection string>, --overwrite, --batch-size <rows>";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var parsed = Parse(args);
        if (parsed.Error is not null)
        {
            await stderr.WriteLineAsync(parsed.Error);
            return Commands.BadInput;
        }
        var (from, to, overwrite, batchSize) = (parsed.From!, parsed.To!, parsed.Overwrite, parsed.BatchSize);
        var sourcePath = Path.GetFullPath(from);
        var shownTarget = StorageSettingsReader.MaskPasswords(to);

        if (Directory.Exists(sourcePath))
        {
            await stderr.WriteLineAsync($"--from \"{sourcePath}\" is a folder: give the database file, e.g. --from {Path.Combine(sourcePath, "uptimewatch.db")}");
            return Commands.BadInput;
        }
        if (!File.Exists(sourcePath))
        {
            await stderr.WriteLineAsync($"--from \"{sourcePath}\": no such file (the SQLite database is uptimewatch.db in UptimeWatch:DataDirectory)");
            return Commands.BadInput;
        }
        if (StorageSettingsReader.PostgresProblem(to) is { } problem)
        {
            await stderr.WriteLineAsync($"--to \"{shownTarget}\" {problem}");
            return Commands.BadInput;
        }

        // The lock UptimeWatch takes on the folder it keeps its database in (DataDirectoryLock): refused while a
        // process serves from it, and held to the end so that none starts writing to the source during the copy.
        using var folderLock = new DataDirectoryLock(
            Options.Create(new UptimeWatchOptions { DataDirectory = Path.GetDirectoryName(sourcePath)! }), NullLogger<DataDirectoryLock>.Instance);
        try
        {
            folderLock.Acquire();
        }
        catch (DataDirectoryLockedException ex)
        {
            await stderr.WriteLineAsync($"--from \"{sourcePath}\" is in use: an UptimeWatch{(ex.HolderPid is { } pid ? $" (PID {pid})" : "")} holds its data folder ({ex.LockFile} is locked). " +
                "Stop it first: a copy of a database that is still being written would miss everything written after it.");
            return Commands.BadInput;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            // A read-only copy of a data folder (a backup on other media) has no lock to take: nothing serves from it.
            await stdout.WriteLineAsync($"Note: could not take the data folder's lock beside \"{sourcePath}\" ({ex.Message}); make sure no UptimeWatch uses that file.");
        }

        try
        {
            return await CopyAsync(sourcePath, to, shownTarget, overwrite, batchSize, stdout, stderr, cancellationToken);
        }
        catch (SqliteException ex)
        {
            await stderr.WriteLineAsync($"Reading --from \"{sourcePath}\" failed: {ex.Message}");
            return Commands.Failed;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            await stderr.WriteLineAsync($"The connection to --to \"{shownTarget}\" failed: {ex.Message}. Run the same command again to go on where it stopped.");
            return Commands.Failed;
        }
        catch (PostgresException ex)
        {
            await stderr.WriteLineAsync($"PostgreSQL refused a step of the copy to --to \"{shownTarget}\": {ex.MessageText}" +
                $"{(ex.TableName is null ? "" : $" (table {ex.TableName})")}. Rows copied so far are kept; the same command goes on from there.");
            return Commands.Failed;
        }
        catch (DataCopyException ex)
        {
            await stderr.WriteLineAsync($"A row of --from \"{sourcePath}\" cannot be copied: {ex.Message}");
            return Commands.Failed;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static async Task<int> CopyAsync(string sourcePath, string to, string shownTarget, bool overwrite, int batchSize,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var source = new SqliteConnection(SourceConnectionString(sourcePath));
        await source.OpenAsync(cancellationToken);
        if (await SourceSchemaProblemAsync(source, cancellationToken) is { } schemaProblem)
        {
            await stderr.WriteLineAsync($"--from \"{sourcePath}\" {schemaProblem}");
            return Commands.BadInput;
        }

        await using var target = new NpgsqlConnection(to);
        try
        {
            await target.OpenAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            await stderr.WriteLineAsync($"Cannot connect to --to \"{shownTarget}\": {ex.Message}");
            return Commands.Failed;
        }

        await using var model = new UptimeWatchDbContext(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(to, npgsql => npgsql.MigrationsAssembly(StorageExtensions.PostgresMigrationsAssembly)).Options);
        var tables = DataCopy.Tables(model);

        // One read transaction for the whole copy: every table as of the same moment.
        await using var snapshot = (SqliteTransaction)await source.BeginTransactionAsync(cancellationToken);
        var sourceRows = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            sourceRows[table.Name] = await DataCopy.SourceCountAsync(source, snapshot, table, cancellationToken);
        }
        var fingerprint = string.Join(",", tables.Select(t => $"{t.Name}={sourceRows[t.Name]}"));

        // Before anything is written to the target: is it empty, or a stopped copy of this very source?
        var targetRows = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            targetRows[table.Name] = await TableExistsAsync(target, table.Name, cancellationToken)
                ? await DataCopy.TargetCountAsync(target, table, cancellationToken)
                : 0;
        }
        var marker = await ReadMarkerAsync(target, cancellationToken);
        var occupied = targetRows.Where(t => t.Value > 0).ToList();
        var resume = !overwrite && marker is { FinishedAt: null } && marker.Source == sourcePath && marker.SourceRows == fingerprint;
        if (occupied.Count > 0 && !resume && !overwrite)
        {
            var rows = string.Join(", ", occupied.Select(t => $"{t.Key} {t.Value}"));
            var why = marker switch
            {
                { FinishedAt: { } finished } => $" It holds a finished copy of \"{marker.Source}\" (finished {finished:u}) and may have been used since.",
                { } stopped when stopped.Source == sourcePath =>
                    $" An earlier migrate-data from this file stopped before the end, and the file has changed since (rows then: {stopped.SourceRows}): it cannot go on from there.",
                { } other => $" An earlier migrate-data from \"{other.Source}\" stopped before the end.",
                null => "",
            };
            await stderr.WriteLineAsync($"--to \"{shownTarget}\" is not empty ({rows}).{why} migrate-data copies only into an empty database; " +
                "--overwrite deletes every UptimeWatch row in it first (the schema and Quartz's tables stay), then copies. Stop every node using it before that.");
            return Commands.BadInput;
        }

        await stdout.WriteLineAsync($"Copying \"{sourcePath}\" to \"{shownTarget}\" ({tables.Count} tables, {sourceRows.Values.Sum()} rows; source opened read-only).");
        await using (var migrate = new UptimeWatchDbContext(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(to, npgsql => npgsql.MigrationsAssembly(StorageExtensions.PostgresMigrationsAssembly)).Options))
        {
            var pending = (await migrate.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                await stdout.WriteLineAsync($"Migrating the target's schema: {pending.Count} migration(s), up to {pending[^1]}.");
                await migrate.Database.MigrateAsync(cancellationToken);
            }
        }

        if (resume)
        {
            await stdout.WriteLineAsync($"Resuming the copy started {marker!.StartedAt:u}: the rows already in the target are kept, the copy goes on after them.");
        }
        else
        {
            await using var transaction = await target.BeginTransactionAsync(cancellationToken);
            if (overwrite && occupied.Count > 0)
            {
                await stdout.WriteLineAsync($"--overwrite: deleting the target's UptimeWatch rows ({string.Join(", ", occupied.Select(t => $"{t.Key} {t.Value}"))}).");
                await ExecAsync(target, transaction,
                    $"TRUNCATE {string.Join(", ", tables.Select(t => DataCopy.Quote(t.Name)))} RESTART IDENTITY", cancellationToken);
            }
            await ExecAsync(target, transaction,
                $"""
                CREATE TABLE IF NOT EXISTS {DataCopy.Quote(MarkerTable)} ("Source" text NOT NULL, "SourceRows" text NOT NULL, "StartedAt" timestamptz NOT NULL, "FinishedAt" timestamptz);
                DELETE FROM {DataCopy.Quote(MarkerTable)};
                """, cancellationToken);
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {DataCopy.Quote(MarkerTable)} (\"Source\", \"SourceRows\", \"StartedAt\") VALUES ($1, $2, now())", target, transaction);
            insert.Parameters.AddWithValue(sourcePath);
            insert.Parameters.AddWithValue(fingerprint);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var copy = new DataCopy(source, snapshot, target, batchSize, line => stdout.WriteLine(line));
        var added = 0L;
        foreach (var table in tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            added += await copy.CopyAsync(table, sourceRows[table.Name], cancellationToken);
        }

        // The proof: each table of the target holds exactly as many rows as the source's snapshot.
        var report = new List<string> { $"  {"table",-24} {"source",10} {"target",10}" };
        var mismatches = new List<string>();
        foreach (var table in tables)
        {
            var copied = await DataCopy.TargetCountAsync(target, table, cancellationToken);
            var expected = sourceRows[table.Name];
            report.Add(string.Create(CultureInfo.InvariantCulture, $"  {table.Name,-24} {expected,10} {copied,10}{(copied == expected ? "" : "   DIFFERENT")}"));
            if (copied != expected)
            {
                mismatches.Add($"{table.Name} (source {expected}, target {copied})");
            }
        }
        await stdout.WriteLineAsync(string.Join(Environment.NewLine, report));
        if (mismatches.Count > 0)
        {
            await stderr.WriteLineAsync($"The counts differ for {string.Join(", ", mismatches)}: the target is not a complete copy. " +
                "Run again with --overwrite to copy everything anew.");
            return Commands.Failed;
        }
        await ExecAsync(target, null, $"UPDATE {DataCopy.Quote(MarkerTable)} SET \"FinishedAt\" = now()", cancellationToken);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Verified: every table holds as many rows as the source. {added} rows copied in this run, {clock.Elapsed.TotalSeconds:0.0} s. " +
            $"\"{sourcePath}\" is unchanged. Next: set UptimeWatch:Storage:Provider to PostgreSQL and UptimeWatch:Storage:ConnectionString on every node (docs/scale-out.md)."));
        return Commands.Success;
    }

    /// <summary>
    /// Read-only and unpooled: nothing can be written to the file, and it is closed when the command ends. SQLite
    /// still creates the -wal and -shm files beside a WAL database it opens, even read-only; when they are not there
    /// (UptimeWatch stopped cleanly and checkpointed everything) the file is opened as immutable, which creates
    /// nothing. The folder's lock, held meanwhile, is what makes "immutable" true.
    /// </summary>
    private static string SourceConnectionString(string sourcePath)
    {
        var sidecars = File.Exists(sourcePath + "-wal") || File.Exists(sourcePath + "-shm")
            || sourcePath.IndexOfAny(['?', '#']) >= 0; // a URI would take these for its query or fragment
        return new SqliteConnectionStringBuilder
        {
            DataSource = sidecars ? sourcePath : new Uri(sourcePath).AbsoluteUri + "?immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString();
    }

    /// <summary>Why the source cannot be copied by this version (not UptimeWatch's, or another schema), or null.</summary>
    private static async Task<string?> SourceSchemaProblemAsync(SqliteConnection source, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = source.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('monitors', '__EFMigrationsHistory')";
            if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) < 2)
            {
                return "is not an UptimeWatch database (it has no monitors table or no migration history)";
            }
        }
        catch (SqliteException ex)
        {
            return $"is not a SQLite database ({ex.Message})";
        }

        // EF only reads the history table here; the connection is read-only anyway.
        await using var db = new UptimeWatchDbContext(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite(source, sqlite => sqlite.MigrationsAssembly(StorageExtensions.MigrationsAssembly)).Options);
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var known = db.Database.GetMigrations().ToList();
        if (applied.Except(known).FirstOrDefault() is { } unknown)
        {
            return $"was written by a newer UptimeWatch (its schema has {unknown}, which version {Commands.Version} does not know): use migrate-data of that version or a newer one.";
        }
        if (known.Except(applied).Any())
        {
            return $"was written by an older UptimeWatch (schema {applied.LastOrDefault() ?? "none"}; this version's is {known[^1]}): " +
                   "start this version on it once (it upgrades the schema at start), stop it, then run migrate-data again.";
        }
        return null;
    }

    private static async Task<bool> TableExistsAsync(NpgsqlConnection target, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", target);
        command.Parameters.AddWithValue(DataCopy.Quote(table));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed record Marker(string Source, string SourceRows, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

    private static async Task<Marker?> ReadMarkerAsync(NpgsqlConnection target, CancellationToken cancellationToken)
    {
        if (!await TableExistsAsync(target, MarkerTable, cancellationToken))
        {
            return null;
        }
        await using var command = new NpgsqlCommand(
            $"SELECT \"Source\", \"SourceRows\", \"StartedAt\", \"FinishedAt\" FROM {DataCopy.Quote(MarkerTable)} LIMIT 1", target);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new Marker(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
    }

    private static async Task ExecAsync(NpgsqlConnection target, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, target, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record Parsed(string? From, string? To, bool Overwrite, int BatchSize, string? Error);

    /// <summary>The arguments, or the first thing wrong with them as a sentence naming the argument.</summary>
    private static Parsed Parse(string[] args)
    {
        string? from = null, to = null;
        var overwrite = false;
        var batchSize = DefaultBatchSize;
        Parsed Fail(string error) => new(null, null, false, 0, error);

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var name = arg;
            string? value = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            string? Value()
            {
                if (value is not null)
                {
                    return value;
                }
                return i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            }
            switch (name)
            {
                case "--from":
                    if (from is not null)
                    {
                        return Fail("--from is given twice: migrate-data copies one database");
                    }
                    from = Value();
                    if (string.IsNullOrWhiteSpace(from))
                    {
                        return Fail("--from needs the SQLite database file to copy, e.g. --from /var/lib/uptimewatch/uptimewatch.db");
                    }
                    break;
                case "--to":
                    if (to is not null)
                    {
                        return Fail("--to is given twice: migrate-data copies into one database");
                    }
                    to = Value();
                    if (string.IsNullOrWhiteSpace(to))
                    {
                        return Fail("--to needs the PostgreSQL connection string, e.g. --to \"Host=db.example;Database=uptimewatch;Username=uptimewatch;Password=...\"");
                    }
                    break;
                case "--overwrite":
                    if (value is not null)
                    {
                        return Fail($"--overwrite takes no value (\"{arg}\"): it is given or not");
                    }
                    overwrite = true;
                    break;
                case "--batch-size":
                    var size = Value();
                    if (!int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out batchSize) || batchSize < 1 || batchSize > MaxBatchSize)
                    {
                        return Fail($"--batch-size \"{size}\" is not a number of rows from 1 to {MaxBatchSize} (default {DefaultBatchSize})");
                    }
                    break;
                default:
                    // A stray connection string must not print its password.
                    var shown = arg.Contains('=', StringComparison.Ordinal) ? StorageSettingsReader.MaskPasswords(arg) : arg;
                    return Fail($"\"{shown}\" is not an argument of migrate-data: it takes {Arguments}");
            }
        }
        if (from is null)
        {
            return Fail("migrate-data needs --from <sqlite file>, the database of the install to move, e.g. --from /var/lib/uptimewatch/uptimewatch.db");
        }
        if (to is null)
        {
            return Fail("migrate-data needs --to <connection string>, the PostgreSQL database to copy into, e.g. --to \"Host=db.example;Database=uptimewatch;Username=uptimewatch;Password=...\"");
        }
        return new Parsed(from, to, overwrite, batchSize, null);
    }
}

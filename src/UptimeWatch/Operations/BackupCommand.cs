using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using UptimeWatch.Storage;

namespace UptimeWatch.Operations;

/// <summary>
/// <c>backup &lt;file&gt;</c>: a consistent copy of the SQLite database, taken with SQLite's online backup API while
/// UptimeWatch keeps running. The copy is one read snapshot (the writer goes on appending to the WAL meanwhile), so
/// it holds every transaction committed before it started and none half-written. It is checked, turned into a
/// single self-contained file, and only then moved to its name: a file at that name is always a whole backup.
/// </summary>
internal static class BackupCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var (hostArgs, positional) = CommandConfiguration.Split(args);
        if (positional.Count != 1)
        {
            await stderr.WriteLineAsync("backup needs exactly one file to write, e.g. UptimeWatch backup /var/backups/uptimewatch-2026-11-25.db");
            return Commands.BadInput;
        }
        var target = Path.GetFullPath(positional[0]);

        CommandConfiguration config;
        try
        {
            config = CommandConfiguration.Load(hostArgs);
        }
        catch (Configuration.ConfigurationFileException ex)
        {
            await stderr.WriteLineAsync(ex.Message);
            return Commands.BadInput;
        }
        if (config.Options.Errors.Count > 0)
        {
            // Only the database's location matters here; a backup before fixing a broken config is exactly when one is wanted.
            await stderr.WriteLineAsync($"Note: the configuration has {config.Options.Errors.Count} error(s) (see validate-config); backing up the database it names anyway.");
        }

        if (config.Options.Storage.IsPostgres)
        {
            await stderr.WriteLineAsync(RefusalForPostgres(config.Options.Storage.ConnectionString));
            return Commands.BadInput;
        }

        var source = new SqliteConnectionStringBuilder(StorageExtensions.ConnectionString(config.Options));
        var sourcePath = Path.GetFullPath(source.DataSource);
        if (!File.Exists(sourcePath))
        {
            await stderr.WriteLineAsync($"No database at \"{sourcePath}\" (from UptimeWatch:DataDirectory \"{config.Options.DataDirectory}\"" +
                $"{(config.Options.Storage.ConnectionString is null ? "" : " and UptimeWatch:Storage:ConnectionString")}): nothing to back up. Run it with the same config and working directory as the service.");
            return Commands.Failed;
        }
        if (File.Exists(target))
        {
            await stderr.WriteLineAsync($"\"{target}\" already exists: choose a new name (a backup never overwrites a file).");
            return Commands.BadInput;
        }
        if (Path.GetFullPath(target) == sourcePath)
        {
            await stderr.WriteLineAsync($"\"{target}\" is the live database itself: choose another file.");
            return Commands.BadInput;
        }

        var partial = target + ".partial";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Delete(partial);
            var summary = await CopyAsync(sourcePath, partial, cancellationToken);
            File.Move(partial, target, overwrite: false);
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Backed up \"{sourcePath}\" to \"{target}\": {new FileInfo(target).Length / 1024.0 / 1024.0:0.0} MiB, {summary}."));
            return Commands.Success;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or BackupCheckException)
        {
            TryDelete(partial);
            await stderr.WriteLineAsync($"Backup of \"{sourcePath}\" to \"{target}\" failed: {ex.Message}");
            return Commands.Failed;
        }
        catch (OperationCanceledException)
        {
            TryDelete(partial);
            throw;
        }
    }

    /// <summary>
    /// PostgreSQL has its own consistent online backup (pg_dump takes one snapshot while UptimeWatch keeps writing), and
    /// a cluster's database is not any one node's to copy: say so, with the command for this database (never its password).
    /// </summary>
    internal static string RefusalForPostgres(string? connectionString)
    {
        var target = "";
        try
        {
            var npgsql = new NpgsqlConnectionStringBuilder(connectionString ?? "");
            var options = new List<string>();
            if (npgsql.Host is { Length: > 0 } host)
            {
                options.Add($"--host={host}");
            }
            if (npgsql.Port != NpgsqlConnection.DefaultPort)
            {
                options.Add(string.Create(CultureInfo.InvariantCulture, $"--port={npgsql.Port}"));
            }
            if (npgsql.Username is { Length: > 0 } user)
            {
                options.Add($"--username={user}");
            }
            if (npgsql.Database is { Length: > 0 } database)
            {
                options.Add($"--dbname={database}");
            }
            target = options.Count > 0 ? " " + string.Join(' ', options) : "";
        }
        catch (ArgumentException)
        {
            // validate-config names what is wrong with the connection string; the advice stands without it.
        }
        return "backup copies the SQLite database only, and this configuration uses PostgreSQL (UptimeWatch:Storage:Provider \"PostgreSQL\"). " +
            "Back it up with PostgreSQL's own tool, while UptimeWatch runs:" + Environment.NewLine +
            $"  pg_dump --format=custom --file=uptimewatch.dump{target}" + Environment.NewLine +
            "and restore with pg_restore (see docs/scale-out.md, \"Backups\").";
    }

    private static async Task<string> CopyAsync(string sourcePath, string partial, CancellationToken cancellationToken)
    {
        // No pooling: the files must really be closed before the copy is moved (and before the caller touches them).
        // ReadWrite without Create: a wrong path must never leave an empty database behind.
        await using (var from = new SqliteConnection(new SqliteConnectionStringBuilder
                     {
                         DataSource = sourcePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false,
                     }.ToString()))
        await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder
                     {
                         DataSource = partial, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false,
                     }.ToString()))
        {
            await from.OpenAsync(cancellationToken);
            // The backup step is not a command, so only SQLite's own busy handler makes it wait out a checkpoint.
            await Exec(from, "PRAGMA busy_timeout = 30000", cancellationToken);
            await to.OpenAsync(cancellationToken);
            // One step for the whole file: one read snapshot, so the copy is consistent even while checks are written.
            from.BackupDatabase(to);
        }

        await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString());
        await copy.OpenAsync(cancellationToken);
        // The copy takes the live file's WAL mode; a backup should be one file that can be copied around on its own.
        await Exec(copy, "PRAGMA journal_mode = DELETE", cancellationToken);
        var check = await Scalar(copy, "PRAGMA quick_check", cancellationToken);
        if (!string.Equals(check, "ok", StringComparison.Ordinal))
        {
            throw new BackupCheckException($"the copy failed SQLite's quick_check: {check}");
        }
        var migration = await Scalar(copy, "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId DESC LIMIT 1", cancellationToken);
        var monitors = await Scalar(copy, "SELECT count(*) FROM monitors", cancellationToken);
        var checks = await Scalar(copy, "SELECT count(*) FROM check_results", cancellationToken);
        return $"{monitors} monitor(s), {checks} stored check(s), schema {migration}";
    }

    private static async Task Exec(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<string?> Scalar(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class BackupCheckException(string message) : Exception(message);
}

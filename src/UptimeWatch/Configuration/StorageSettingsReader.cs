using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace UptimeWatch.Configuration;

/// <summary>
/// <c>UptimeWatch:Storage</c>'s provider and connection string, checked when the configuration is read: a bad value
/// is a start-up error naming the field, never an exception from the database layer. A connection string may hold a
/// password, so no message repeats its value; keywords are named, values never.
/// </summary>
internal static class StorageSettingsReader
{
    /// <summary>Providers that exist elsewhere (or will here) but not in this version.</summary>
    private static readonly string[] Unavailable = ["PostgreSQL", "Postgres", "Npgsql", "SqlServer", "MySql", "MariaDb"];

    public static void Read(TrackedSection storage, StorageOptions options, List<string> errors)
    {
        var provider = storage["Provider"];
        var providerOk = true;
        if (provider is not null)
        {
            var trimmed = provider.Trim();
            if (trimmed.Equals(StorageOptions.SqliteProvider, StringComparison.OrdinalIgnoreCase))
            {
                options.Provider = StorageOptions.SqliteProvider;
            }
            else
            {
                providerOk = false;
                errors.Add(Unavailable.Contains(trimmed, StringComparer.OrdinalIgnoreCase)
                    ? $"Storage:Provider \"{provider}\" is not available in this version of UptimeWatch, which stores its data in SQLite only. Remove Storage:Provider and Storage:ConnectionString (or set Provider to \"Sqlite\")"
                    : $"Storage:Provider \"{provider}\" is not a storage provider: the only one is \"{StorageOptions.SqliteProvider}\"");
            }
        }

        var connectionString = storage["ConnectionString"];
        // A refused provider already explains why its connection string is not SQLite's: one error, not two.
        if (string.IsNullOrWhiteSpace(connectionString) || !providerOk)
        {
            return;
        }
        if (SqliteProblem(connectionString) is { } problem)
        {
            errors.Add($"Storage:ConnectionString {problem} (the value is not shown: it may hold a password)");
            return;
        }
        options.ConnectionString = connectionString;
    }

    /// <summary>A keyword as the user spelt it (the builder lower-cases them).</summary>
    private static string AsWritten(string connectionString, string keyword)
    {
        var at = connectionString.IndexOf(keyword, StringComparison.OrdinalIgnoreCase);
        return at < 0 ? keyword : connectionString.Substring(at, keyword.Length);
    }

    /// <summary>What makes the string unusable for UptimeWatch's SQLite database, or null when it is fine.</summary>
    private static string? SqliteProblem(string connectionString)
    {
        DbConnectionStringBuilder generic;
        try
        {
            generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException)
        {
            return "cannot be parsed: it must be keyword=value pairs separated by ';', e.g. Data Source=/var/lib/uptimewatch/uptimewatch.db";
        }

        var known = new SqliteConnectionStringBuilder();
        var foreign = generic.Keys.Cast<string>().Where(k => !known.ContainsKey(k)).Select(k => AsWritten(connectionString, k)).ToList();
        if (foreign.Count > 0)
        {
            return $"is not a SQLite connection string: SQLite does not know the keyword(s) {string.Join(", ", foreign.Select(k => $"\"{k}\""))}" +
                   " (it takes Data Source, Mode, Cache, Default Timeout, Pooling, Foreign Keys, Recursive Triggers)";
        }

        SqliteConnectionStringBuilder sqlite;
        try
        {
            sqlite = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            // The exception's message may quote a value: name the kind of problem only.
            return "has a value SQLite cannot use (e.g. Mode must be ReadWriteCreate, ReadWrite or ReadOnly; Cache must be Default, Private or Shared)";
        }
        if (string.IsNullOrWhiteSpace(sqlite.DataSource))
        {
            return "does not name the database file: add Data Source=<path>";
        }
        if (sqlite.DataSource.Trim() == ":memory:" || sqlite.Mode == SqliteOpenMode.Memory)
        {
            return "names an in-memory database: UptimeWatch needs a file (Data Source=<path>)";
        }
        if (sqlite.Mode == SqliteOpenMode.ReadOnly)
        {
            return "opens the database read-only (Mode=ReadOnly): UptimeWatch writes to it";
        }
        if (!string.IsNullOrEmpty(sqlite.Password))
        {
            return "sets a Password, but the SQLite shipped with UptimeWatch does not encrypt databases: remove it (keep the data folder private instead)";
        }
        return null;
    }
}

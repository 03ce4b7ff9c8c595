using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace UptimeWatch.Configuration;

/// <summary>
/// <c>UptimeWatch:Storage</c>'s provider and connection string, checked when the configuration is read: a bad value
/// is a start-up error naming the field, never an exception from the database layer. A connection string may hold a
/// password: a SQLite one is never repeated, a PostgreSQL one only with its password masked.
/// </summary>
internal static partial class StorageSettingsReader
{
    /// <summary>Providers that exist elsewhere but not in this version.</summary>
    private static readonly string[] Unavailable = ["SqlServer", "MySql", "MariaDb"];

    /// <summary>Other names users give PostgreSQL: taken as PostgreSQL, not refused.</summary>
    private static readonly string[] PostgresAliases = [StorageOptions.PostgresProvider, "Postgres", "Npgsql"];

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
            else if (PostgresAliases.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
            {
                options.Provider = StorageOptions.PostgresProvider;
            }
            else
            {
                providerOk = false;
                errors.Add(Unavailable.Contains(trimmed, StringComparer.OrdinalIgnoreCase)
                    ? $"Storage:Provider \"{provider}\" is not available in this version of UptimeWatch: use \"{StorageOptions.SqliteProvider}\" (one node) or \"{StorageOptions.PostgresProvider}\" (one or several nodes)"
                    : $"Storage:Provider \"{provider}\" is not a storage provider: use \"{StorageOptions.SqliteProvider}\" or \"{StorageOptions.PostgresProvider}\"");
            }
        }

        var connectionString = storage["ConnectionString"];
        // A refused provider already explains why its connection string is not usable: one error, not two.
        if (!providerOk)
        {
            return;
        }
        if (options.Provider == StorageOptions.PostgresProvider)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                errors.Add("Storage:ConnectionString is required when Storage:Provider is \"PostgreSQL\", e.g. Host=db.example;Database=uptimewatch;Username=uptimewatch;Password=...");
                return;
            }
            if (PostgresProblem(connectionString) is { } pgProblem)
            {
                errors.Add($"Storage:ConnectionString \"{MaskPasswords(connectionString)}\" {pgProblem}");
                return;
            }
            options.ConnectionString = connectionString;
            return;
        }
        if (string.IsNullOrWhiteSpace(connectionString))
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

    /// <summary>What makes the string unusable as a PostgreSQL connection string, or null when it is fine.</summary>
    internal static string? PostgresProblem(string connectionString)
    {
        DbConnectionStringBuilder generic;
        try
        {
            generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException)
        {
            return "cannot be parsed: it must be keyword=value pairs separated by ';', e.g. Host=db.example;Database=uptimewatch;Username=uptimewatch";
        }
        var known = new NpgsqlConnectionStringBuilder();
        var foreign = generic.Keys.Cast<string>().Where(k => !known.ContainsKey(k)).Select(k => AsWritten(connectionString, k)).ToList();
        if (foreign.Count > 0)
        {
            return $"is not a PostgreSQL connection string: Npgsql does not know the keyword(s) {string.Join(", ", foreign.Select(k => $"\"{k}\""))}" +
                   " (it takes Host, Port, Database, Username, Password, SSL Mode, ...)";
        }
        NpgsqlConnectionStringBuilder npgsql;
        try
        {
            npgsql = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            // The exception's message may quote the password: name the kind of problem only.
            return "has a value Npgsql cannot use (e.g. Port must be a number, SSL Mode one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull)";
        }
        if (string.IsNullOrWhiteSpace(npgsql.Host))
        {
            return "does not name the server: add Host=<name or address>";
        }
        return null;
    }

    /// <summary>The connection string as written, with the value of every password-like keyword replaced by ***.</summary>
    internal static string MaskPasswords(string connectionString)
    {
        try
        {
            _ = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException)
        {
            // Unparseable: there is no telling where a password ends, so show nothing of the string.
            return "***";
        }
        return PasswordValue().Replace(connectionString, m => m.Groups["key"].Value + "***");
    }

    /// <summary>A password keyword (Password, Pwd, SSL Password, ...) and its value, quoted or not.</summary>
    [GeneratedRegex("""(?<key>(?:^|;)\s*[\w ]*(?:password|pwd|passphrase)\s*=\s*)(?:'(?:[^']|'')*'|"(?:[^"]|"")*"|[^;]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordValue();

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

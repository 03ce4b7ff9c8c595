using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;
using UptimeWatch.Storage;

namespace UptimeWatch.Operations;

/// <summary>One table of the model as <c>migrate-data</c> copies it: its columns, its key, the tables it refers to.</summary>
internal sealed record CopiedTable(string Name, IReadOnlyList<CopiedColumn> Columns, IReadOnlyList<string> Key, IReadOnlyList<string> Principals)
{
    /// <summary>
    /// An all-integer key is ordered the same on both sides, so a resumed copy can go on after the target's highest
    /// key. Any other key (a session id) is read from the start again; ON CONFLICT DO NOTHING skips what is there.
    /// </summary>
    public bool NumericKey => Key.All(k => Columns.Single(c => c.Name == k).ProviderType is var t
        && (t == typeof(int) || t == typeof(long) || t == typeof(short)));
}

internal sealed record CopiedColumn(string Name, Type ProviderType, NpgsqlDbType? DbType);

/// <summary>
/// The row copy of <see cref="MigrateDataCommand"/>: every table of the EF model (so a table added later is copied
/// without anyone remembering to list it), principals before the tables that refer to them, each in key order and in
/// batches. A batch is one PostgreSQL transaction (binary COPY into a temporary table, then INSERT … ON CONFLICT DO
/// NOTHING), so a run killed at any point leaves whole batches behind and the next run goes on after them.
/// </summary>
internal sealed class DataCopy(SqliteConnection source, SqliteTransaction snapshot, NpgsqlConnection target, int batchSize, Action<string> report)
{
    /// <summary>
    /// Tables of the model in copy order. Quartz's tables are not in the model (a migration creates them with SQL);
    /// the prefix check keeps them out should they ever be mapped: they describe the running cluster, not the history.
    /// </summary>
    public static IReadOnlyList<CopiedTable> Tables(UptimeWatchDbContext postgresModel)
    {
        var relational = postgresModel.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        var tables = new List<CopiedTable>();
        foreach (var table in relational.Tables)
        {
            if (table.Name.StartsWith("qrtz_", StringComparison.OrdinalIgnoreCase) || table.IsExcludedFromMigrations)
            {
                continue;
            }
            if (table.PrimaryKey is null)
            {
                // Without a key a resumed copy could not tell copied rows from new ones.
                throw new InvalidOperationException($"The table {table.Name} has no primary key: migrate-data cannot copy it resumably");
            }
            var columns = table.Columns
                .Where(c => c.ComputedColumnSql is null)
                .Select(c => new CopiedColumn(c.Name, Nullable.GetUnderlyingType(c.ProviderClrType) ?? c.ProviderClrType, DbTypeOf(c.ProviderClrType)))
                .ToList();
            tables.Add(new CopiedTable(table.Name, columns, table.PrimaryKey.Columns.Select(c => c.Name).ToList(),
                table.ForeignKeyConstraints.Select(f => f.PrincipalTable.Name).Where(n => n != table.Name).Distinct().ToList()));
        }

        // Principals first (monitors before check_results, notifications before delivery_attempts); ties by name.
        var ordered = new List<CopiedTable>();
        var left = tables.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(t => t.Principals.All(p => ordered.Any(o => o.Name == p) || left.All(l => l.Name != p)))
                ?? throw new InvalidOperationException($"The foreign keys between {string.Join(", ", left.Select(t => t.Name))} form a cycle");
            ordered.Add(next);
            left.Remove(next);
        }
        return ordered;
    }

    public static async Task<long> SourceCountAsync(SqliteConnection source, SqliteTransaction snapshot, CopiedTable table, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table.Name);
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }
        command.Parameters.Clear();
        command.CommandText = $"SELECT count(*) FROM {Quote(table.Name)}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public static async Task<long> TargetCountAsync(NpgsqlConnection target, CopiedTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {Quote(table.Name)}", target);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Copies the rows of <paramref name="table"/> the target does not have yet; returns how many it added.</summary>
    public async Task<long> CopyAsync(CopiedTable table, long sourceRows, CancellationToken cancellationToken)
    {
        if (sourceRows == 0)
        {
            await SetSequencesAsync(table, cancellationToken);
            return 0;
        }
        var columns = string.Join(", ", table.Columns.Select(c => Quote(c.Name)));
        var keyIndexes = table.Key.Select(k => table.Columns.ToList().FindIndex(c => c.Name == k)).ToArray();
        var after = table.NumericKey ? await TargetMaxKeyAsync(table, cancellationToken) : null;
        var done = after is null ? 0 : await TargetCountAsync(target, table, cancellationToken);
        if (after is not null)
        {
            report(done >= sourceRows
                ? $"  {table.Name}: all {sourceRows} rows already copied"
                : $"  {table.Name}: {done} of {sourceRows} rows already copied, going on after {Describe(table, after)}");
        }

        const string temp = "uw_migrate_batch";
        await ExecAsync($"DROP TABLE IF EXISTS {temp}; CREATE TEMPORARY TABLE {temp} (LIKE {Quote(table.Name)}) ON COMMIT DELETE ROWS", cancellationToken);
        var added = 0L;
        var batches = 0;
        var lastReport = DateTime.UtcNow;
        while (true)
        {
            var rows = await ReadBatchAsync(table, columns, after, cancellationToken);
            if (rows.Count == 0)
            {
                break;
            }
            added += await WriteBatchAsync(table, columns, temp, rows, cancellationToken);
            done += rows.Count;
            after = keyIndexes.Select(i => rows[^1][i]).ToArray();
            // The first batch of each table is reported (a sign of life), then at most once a second.
            if (++batches == 1 || DateTime.UtcNow - lastReport >= TimeSpan.FromSeconds(1))
            {
                report($"  {table.Name}: {Math.Min(done, sourceRows)} of {sourceRows} rows");
                lastReport = DateTime.UtcNow;
            }
        }
        await ExecAsync($"DROP TABLE IF EXISTS {temp}", cancellationToken);
        await SetSequencesAsync(table, cancellationToken);
        return added;
    }

    private async Task<List<object?[]>> ReadBatchAsync(CopiedTable table, string columns, object?[]? after, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand();
        command.Transaction = snapshot;
        var keys = string.Join(", ", table.Key.Select(Quote));
        var where = "";
        if (after is not null)
        {
            // A row value comparison: the keyset's next page, for one key column or several.
            where = $"WHERE ({keys}) > ({string.Join(", ", after.Select((_, i) => $"$k{i}"))})";
            for (var i = 0; i < after.Length; i++)
            {
                command.Parameters.AddWithValue($"$k{i}", after[i] ?? DBNull.Value);
            }
        }
        command.CommandText = $"SELECT {columns} FROM {Quote(table.Name)} {where} ORDER BY {keys} LIMIT $limit";
        command.Parameters.AddWithValue("$limit", batchSize);
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[table.Columns.Count];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : ToTargetType(reader.GetValue(i), table.Columns[i], table);
            }
            rows.Add(row);
        }
        return rows;
    }

    private async Task<long> WriteBatchAsync(CopiedTable table, string columns, string temp, List<object?[]> rows, CancellationToken cancellationToken)
    {
        await using var transaction = await target.BeginTransactionAsync(cancellationToken);
        await using (var importer = await target.BeginBinaryImportAsync($"COPY {temp} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                for (var i = 0; i < row.Length; i++)
                {
                    if (row[i] is null)
                    {
                        await importer.WriteNullAsync(cancellationToken);
                    }
                    else if (table.Columns[i].DbType is { } dbType)
                    {
                        await importer.WriteAsync(row[i], dbType, cancellationToken);
                    }
                    else
                    {
                        await importer.WriteAsync(row[i], cancellationToken);
                    }
                }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        // OVERRIDING SYSTEM VALUE: the ids are kept, whatever the identity columns would have generated.
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {Quote(table.Name)} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {temp} ON CONFLICT DO NOTHING",
            target, transaction);
        var added = await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>The highest key already in the target (numeric keys only), or null when its table is empty.</summary>
    private async Task<object?[]?> TargetMaxKeyAsync(CopiedTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", table.Key.Select(Quote))} FROM {Quote(table.Name)} ORDER BY {string.Join(", ", table.Key.Select(k => Quote(k) + " DESC"))} LIMIT 1",
            target);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var key = new object?[table.Key.Count];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = System.Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
        }
        return key;
    }

    /// <summary>
    /// Each identity column's sequence goes past the highest copied id: the first row a node adds gets the next id,
    /// not one that is taken (the copy wrote the ids itself, so the sequences never moved).
    /// </summary>
    private async Task SetSequencesAsync(CopiedTable table, CancellationToken cancellationToken)
    {
        foreach (var column in table.Columns.Where(c => c.ProviderType == typeof(int) || c.ProviderType == typeof(long) || c.ProviderType == typeof(short)))
        {
            await using var find = new NpgsqlCommand("SELECT pg_get_serial_sequence($1, $2)", target);
            find.Parameters.AddWithValue(Quote(table.Name));
            find.Parameters.AddWithValue(column.Name);
            if (await find.ExecuteScalarAsync(cancellationToken) is not string sequence)
            {
                continue;
            }
            await using var set = new NpgsqlCommand(
                $"SELECT setval($1, coalesce((SELECT max({Quote(column.Name)}) FROM {Quote(table.Name)}), 0) + 1, false)", target);
            set.Parameters.AddWithValue(sequence);
            await set.ExecuteScalarAsync(cancellationToken);
        }
    }

    private async Task ExecAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, target);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// An SQLite value (long, double, string or blob: SQLite has no other storage classes) as the CLR type the
    /// PostgreSQL column takes: 0/1 to booleans, longs narrowed (checked) to int, text to Guid or DateTime.
    /// </summary>
    private static object ToTargetType(object value, CopiedColumn column, CopiedTable table)
    {
        var type = column.ProviderType;
        try
        {
            if (value.GetType() == type)
            {
                return value;
            }
            if (type == typeof(bool))
            {
                return System.Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0;
            }
            if (type == typeof(Guid))
            {
                return value is byte[] bytes ? new Guid(bytes) : Guid.Parse((string)value);
            }
            if (type == typeof(DateTime))
            {
                return DateTime.Parse((string)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            }
            if (type == typeof(DateTimeOffset))
            {
                return DateTimeOffset.Parse((string)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
            }
            return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
        {
            throw new DataCopyException($"{table.Name}.{column.Name}: the source value \"{value}\" cannot be stored as {type.Name} ({ex.Message})");
        }
    }

    private static NpgsqlDbType? DbTypeOf(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(bool) => NpgsqlDbType.Boolean,
        var t when t == typeof(short) => NpgsqlDbType.Smallint,
        var t when t == typeof(int) => NpgsqlDbType.Integer,
        var t when t == typeof(long) => NpgsqlDbType.Bigint,
        var t when t == typeof(float) => NpgsqlDbType.Real,
        var t when t == typeof(double) => NpgsqlDbType.Double,
        var t when t == typeof(decimal) => NpgsqlDbType.Numeric,
        var t when t == typeof(string) => NpgsqlDbType.Text,
        var t when t == typeof(byte[]) => NpgsqlDbType.Bytea,
        var t when t == typeof(Guid) => NpgsqlDbType.Uuid,
        var t when t == typeof(DateTime) || t == typeof(DateTimeOffset) => NpgsqlDbType.TimestampTz,
        _ => null,
    };

    private static string Describe(CopiedTable table, object?[] key) =>
        string.Join(", ", table.Key.Select((k, i) => $"{k} {key[i]}"));

    /// <summary>A quoted identifier: the model's names are mixed case ("MonitorId"), which PostgreSQL would fold.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}

/// <summary>A row the copy cannot store: the message names the table, the column and the value.</summary>
internal sealed class DataCopyException(string message) : Exception(message);

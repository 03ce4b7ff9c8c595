using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Storage;

/// <summary>
/// The server starts on a compiled model per provider (migrations/CompiledModel, migrations/PostgreSQL/CompiledModel):
/// building the model from <c>OnModelCreating</c> was a second of every start. Each must be the model the code builds
/// today, or a column, an index or a conversion added to an entity would be missing at run time. When this fails,
/// generate them again (docs/development.md, "The compiled models").
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class CompiledModelTests
{
    [Fact]
    public void The_compiled_SQLite_model_is_the_model_the_code_builds() =>
        AssertSame(
            o => o.UseSqlite("Data Source=:memory:"),
            UptimeWatch.Migrations.CompiledModel.UptimeWatchDbContextModel.Instance);

    [Fact]
    public void The_compiled_PostgreSQL_model_is_the_model_the_code_builds() =>
        AssertSame(
            // The model needs no server: nothing here connects.
            o => o.UseNpgsql("Host=127.0.0.1;Database=model-only"),
            UptimeWatch.Migrations.PostgreSQL.CompiledModel.UptimeWatchDbContextModel.Instance);

    private static void AssertSame(Action<DbContextOptionsBuilder<UptimeWatchDbContext>> provider, IModel compiled)
    {
        var built = new DbContextOptionsBuilder<UptimeWatchDbContext>();
        provider(built);
        var fromCompiled = new DbContextOptionsBuilder<UptimeWatchDbContext>();
        provider(fromCompiled);
        fromCompiled.UseModel(compiled);

        using var builtContext = new UptimeWatchDbContext(built.Options);
        using var compiledContext = new UptimeWatchDbContext(fromCompiled.Options);

        var expected = Describe(builtContext.Model);
        Assert.True(expected.Count > 100, $"the model described in {expected.Count} lines");
        Assert.Equal(expected, Describe(compiledContext.Model));
        Assert.Equal(DescribeTables(builtContext.Model.GetRelationalModel()), DescribeTables(compiledContext.Model.GetRelationalModel()));
    }

    /// <summary>The tables as the SQL sees them: columns with their store types, indexes, constraints.</summary>
    private static List<string> DescribeTables(IRelationalModel model)
    {
        var lines = new List<string>();
        foreach (var table in model.Tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            lines.Add($"table {table.Schema}.{table.Name}");
            lines.AddRange(table.Columns.OrderBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => $"  column {c.Name} {c.StoreType} null {c.IsNullable}"));
            lines.AddRange(table.Indexes.OrderBy(i => i.Name, StringComparer.Ordinal)
                .Select(i => $"  index {i.Name} ({string.Join(",", i.Columns.Select(c => c.Name))}) unique {i.IsUnique} filter {i.Filter}"));
            lines.AddRange(table.ForeignKeyConstraints.OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => $"  foreign key {f.Name} -> {f.PrincipalTable.Name} on delete {f.OnDeleteAction}"));
            if (table.PrimaryKey is { } key)
            {
                lines.Add($"  primary key {key.Name} ({string.Join(",", key.Columns.Select(c => c.Name))})");
            }
        }
        return lines;
    }

    /// <summary>Every entity, column, key, index and relationship with what it maps to, one line each.</summary>
    private static List<string> Describe(IModel model)
    {
        var lines = new List<string>();
        foreach (var entity in model.GetEntityTypes().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            lines.Add($"{entity.Name} -> {entity.GetTableName()}");
            foreach (var p in entity.GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var mapping = p.GetRelationalTypeMapping();
                lines.Add($"  {p.Name}: {p.ClrType.Name} as {mapping.StoreType} ({p.GetColumnName()}), null {p.IsNullable}, max {p.GetMaxLength()}, " +
                          $"generated {p.ValueGenerated}, concurrency {p.IsConcurrencyToken}, converter {(p.GetValueConverter() ?? mapping.Converter)?.ProviderClrType.Name}, " +
                          $"default {p.GetDefaultValueSql() ?? p.GetDefaultValue()?.ToString()}");
            }
            foreach (var key in entity.GetKeys())
            {
                lines.Add($"  key {string.Join(",", key.Properties.Select(p => p.Name))} primary {key.IsPrimaryKey()}");
            }
            foreach (var index in entity.GetIndexes().OrderBy(i => i.GetDatabaseName(), StringComparer.Ordinal))
            {
                lines.Add($"  index {index.GetDatabaseName()} ({string.Join(",", index.Properties.Select(p => p.Name))}) unique {index.IsUnique} filter {index.GetFilter()}");
            }
            foreach (var fk in entity.GetForeignKeys().OrderBy(f => f.GetConstraintName(), StringComparer.Ordinal))
            {
                lines.Add($"  foreign key {fk.GetConstraintName()} -> {fk.PrincipalEntityType.Name} on delete {fk.DeleteBehavior}, required {fk.IsRequired}");
            }
            foreach (var filter in entity.GetDeclaredQueryFilters())
            {
                lines.Add($"  filter {filter.Key} {filter.Expression}");
            }
        }
        return lines;
    }
}

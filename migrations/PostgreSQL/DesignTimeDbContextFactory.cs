using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using UptimeWatch.Storage;

namespace UptimeWatch.Migrations.PostgreSQL;

/// <summary>
/// Lets <c>dotnet ef</c> build the PostgreSQL model without starting the host. Adding a migration needs no server;
/// <c>database update</c> does: pass one as <c>-- "Host=...;Database=...;Username=..."</c>.
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<UptimeWatchDbContext>
{
    public UptimeWatchDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(args.FirstOrDefault() ?? "Host=127.0.0.1;Database=uptimewatch_design;Username=uptimewatch",
                o => o.MigrationsAssembly("UptimeWatch.Migrations.PostgreSQL"))
            .Options);
}

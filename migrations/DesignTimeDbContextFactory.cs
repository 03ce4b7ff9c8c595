using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using UptimeWatch.Storage;

namespace UptimeWatch.Migrations;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the host (no config, no scheduler).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<UptimeWatchDbContext>
{
    public UptimeWatchDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite("Data Source=design-time.db", o => o.MigrationsAssembly("UptimeWatch.Migrations"))
            .Options);
}

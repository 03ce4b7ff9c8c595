using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations
{
    /// <inheritdoc />
    public partial class MakeNotificationMonitorOptional : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A system alert (a probe location offline) is about UptimeWatch itself: its outbox rows have no monitor.
            // SQLite cannot change a column's nullability: EF rebuilds the table (copy, drop, rename) with foreign keys
            // off for the swap, so every row keeps its id and delivery_attempts, which cascade from it, are untouched.
            migrationBuilder.AlterColumn<int>(
                name: "MonitorId",
                table: "notifications",
                type: "INTEGER",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "INTEGER");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The older schema cannot hold a system alert's rows (no monitor): they go, with their delivery attempts.
            migrationBuilder.Sql("""DELETE FROM notifications WHERE MonitorId IS NULL;""");

            migrationBuilder.AlterColumn<int>(
                name: "MonitorId",
                table: "notifications",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "INTEGER",
                oldNullable: true);
        }
    }
}

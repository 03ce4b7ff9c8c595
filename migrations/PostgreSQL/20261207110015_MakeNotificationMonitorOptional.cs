using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations.PostgreSQL
{
    /// <inheritdoc />
    public partial class MakeNotificationMonitorOptional : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A system alert (a probe location offline) is about UptimeWatch itself: its outbox rows have no monitor.
            migrationBuilder.AlterColumn<int>(
                name: "MonitorId",
                table: "notifications",
                type: "integer",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "integer");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The older schema cannot hold a system alert's rows (no monitor): they go, with their delivery attempts.
            migrationBuilder.Sql("""DELETE FROM notifications WHERE "MonitorId" IS NULL;""");

            migrationBuilder.AlterColumn<int>(
                name: "MonitorId",
                table: "notifications",
                type: "integer",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "integer",
                oldNullable: true);
        }
    }
}

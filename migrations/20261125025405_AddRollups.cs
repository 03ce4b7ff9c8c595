using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations
{
    /// <inheritdoc />
    public partial class AddRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "InMaintenance",
                table: "check_results",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "daily_rollups",
                columns: table => new
                {
                    MonitorId = table.Column<int>(type: "INTEGER", nullable: false),
                    Start = table.Column<long>(type: "INTEGER", nullable: false),
                    Checks = table.Column<int>(type: "INTEGER", nullable: false),
                    Failures = table.Column<int>(type: "INTEGER", nullable: false),
                    Degraded = table.Column<int>(type: "INTEGER", nullable: false),
                    Missed = table.Column<int>(type: "INTEGER", nullable: false),
                    Maintenance = table.Column<int>(type: "INTEGER", nullable: false),
                    Incidents = table.Column<int>(type: "INTEGER", nullable: false),
                    MinMs = table.Column<int>(type: "INTEGER", nullable: true),
                    MaxMs = table.Column<int>(type: "INTEGER", nullable: true),
                    SumMs = table.Column<long>(type: "INTEGER", nullable: false),
                    TimedChecks = table.Column<int>(type: "INTEGER", nullable: false),
                    P95Ms = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_rollups", x => new { x.MonitorId, x.Start });
                    table.ForeignKey(
                        name: "FK_daily_rollups_monitors_MonitorId",
                        column: x => x.MonitorId,
                        principalTable: "monitors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "hourly_rollups",
                columns: table => new
                {
                    MonitorId = table.Column<int>(type: "INTEGER", nullable: false),
                    Start = table.Column<long>(type: "INTEGER", nullable: false),
                    Checks = table.Column<int>(type: "INTEGER", nullable: false),
                    Failures = table.Column<int>(type: "INTEGER", nullable: false),
                    Degraded = table.Column<int>(type: "INTEGER", nullable: false),
                    Missed = table.Column<int>(type: "INTEGER", nullable: false),
                    Maintenance = table.Column<int>(type: "INTEGER", nullable: false),
                    Incidents = table.Column<int>(type: "INTEGER", nullable: false),
                    MinMs = table.Column<int>(type: "INTEGER", nullable: true),
                    MaxMs = table.Column<int>(type: "INTEGER", nullable: true),
                    SumMs = table.Column<long>(type: "INTEGER", nullable: false),
                    TimedChecks = table.Column<int>(type: "INTEGER", nullable: false),
                    P95Ms = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_hourly_rollups", x => new { x.MonitorId, x.Start });
                    table.ForeignKey(
                        name: "FK_hourly_rollups_monitors_MonitorId",
                        column: x => x.MonitorId,
                        principalTable: "monitors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_daily_rollups_Start",
                table: "daily_rollups",
                column: "Start");

            migrationBuilder.CreateIndex(
                name: "IX_hourly_rollups_Start",
                table: "hourly_rollups",
                column: "Start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "daily_rollups");

            migrationBuilder.DropTable(
                name: "hourly_rollups");

            migrationBuilder.DropColumn(
                name: "InMaintenance",
                table: "check_results");
        }
    }
}

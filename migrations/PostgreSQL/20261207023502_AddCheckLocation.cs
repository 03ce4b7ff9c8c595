using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations.PostgreSQL
{
    /// <inheritdoc />
    public partial class AddCheckLocation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_check_results_MonitorId_Slot",
                table: "check_results");

            migrationBuilder.AddColumn<int>(
                name: "LocationId",
                table: "check_results",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_check_results_MonitorId_LocationId_Slot",
                table: "check_results",
                columns: new[] { "MonitorId", "LocationId", "Slot" },
                unique: true,
                filter: "\"Slot\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_check_results_MonitorId_LocationId_Slot",
                table: "check_results");

            migrationBuilder.DropColumn(
                name: "LocationId",
                table: "check_results");

            migrationBuilder.CreateIndex(
                name: "IX_check_results_MonitorId_Slot",
                table: "check_results",
                columns: new[] { "MonitorId", "Slot" },
                unique: true,
                filter: "\"Slot\" IS NOT NULL");
        }
    }
}

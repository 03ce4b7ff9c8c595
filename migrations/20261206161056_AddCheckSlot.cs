using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations
{
    /// <inheritdoc />
    public partial class AddCheckSlot : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Node",
                table: "check_results",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Slot",
                table: "check_results",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_check_results_MonitorId_Slot",
                table: "check_results",
                columns: new[] { "MonitorId", "Slot" },
                unique: true,
                filter: "\"Slot\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_check_results_MonitorId_Slot",
                table: "check_results");

            migrationBuilder.DropColumn(
                name: "Node",
                table: "check_results");

            migrationBuilder.DropColumn(
                name: "Slot",
                table: "check_results");
        }
    }
}

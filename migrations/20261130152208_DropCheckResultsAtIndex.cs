using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations
{
    /// <inheritdoc />
    public partial class DropCheckResultsAtIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_check_results_At",
                table: "check_results");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_check_results_At",
                table: "check_results",
                column: "At");
        }
    }
}

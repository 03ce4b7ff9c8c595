using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UptimeWatch.Migrations
{
    /// <inheritdoc />
    public partial class SeparateFlappingFromStatus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Flapping",
                table: "status_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            // Flapping used to be a status; it is now a flag beside it. Rows written before keep reading: a monitor
            // shows its threshold verdict (IsFlapping already holds the flag), and in the event log "flapping" is
            // replaced by the status the monitor last had before it (what the thresholds said is not kept per event),
            // so "up -> flapping" becomes "up -> up" with the flag set, and "flapping -> down" becomes "up -> down".
            // Alerts of kind "flapping" stay as they were raised. Not reversible: Down only drops the column.
            migrationBuilder.Sql("UPDATE monitors SET Status = BaseStatus WHERE Status = 'Flapping';");
            migrationBuilder.Sql("""UPDATE status_events SET Flapping = 1 WHERE "To" = 'Flapping';""");
            const string before = """
                COALESCE((SELECT p."To" FROM status_events AS p
                          WHERE p.MonitorId = status_events.MonitorId AND p.Id < status_events.Id AND p."To" <> 'Flapping'
                          ORDER BY p.Id DESC LIMIT 1), 'Unknown')
                """;
            migrationBuilder.Sql($"""UPDATE status_events SET "From" = {before} WHERE "From" = 'Flapping';""");
            migrationBuilder.Sql($"""UPDATE status_events SET "To" = {before} WHERE "To" = 'Flapping';""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Flapping",
                table: "status_events");
        }
    }
}

namespace UptimeWatch.StatusPage;

internal static class StatusPageExtensions
{
    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder app) => app.MapStatusApi();
}

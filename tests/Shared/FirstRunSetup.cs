namespace UptimeWatch.Testing;

/// <summary>
/// First-run setup as the owner does it: the one-time code comes from the file UptimeWatch writes in its data
/// directory at start (the same code is in its log).
/// </summary>
internal static class FirstRunSetup
{
    public const string FileName = "setup-code";

    /// <summary>The code of the running app, or null when it issued none (an account exists, or setup is done).</summary>
    public static string? ReadCode(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>The body of <c>POST /api/admin/setup</c> with this password and the app's code.</summary>
    public static object Request(string dataDirectory, string password) => new { password, setupCode = ReadCode(dataDirectory) };
}

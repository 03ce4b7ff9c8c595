namespace UptimeWatch.Testing;

/// <summary>Where things are: the repository root, and fresh temporary folders under the test output.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A new empty folder; removed by the caller (or left for inspection when a test fails).</summary>
    public static string NewTempDirectory(string prefix = "uw")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UptimeWatch.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No UptimeWatch.sln above {AppContext.BaseDirectory}");
    }
}

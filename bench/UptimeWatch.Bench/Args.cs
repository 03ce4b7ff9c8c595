using System.Globalization;

namespace UptimeWatch.Bench;

/// <summary><c>--name value</c> and <c>--flag</c> options after the subcommand.</summary>
internal sealed class Args(string[] args)
{
    private string? Raw(string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
    }

    public bool Flag(string name) => Array.IndexOf(args, "--" + name) >= 0;
    public string Str(string name, string fallback) => Raw(name) ?? fallback;
    public int Int(string name, int fallback) => Raw(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => Raw(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}

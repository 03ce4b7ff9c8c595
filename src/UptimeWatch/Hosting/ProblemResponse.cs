using System.Globalization;

namespace UptimeWatch.Hosting;

/// <summary>An error a client can act on: what is wrong and, for a bad parameter, which one and its value.</summary>
internal sealed record ProblemResponse(string Error, IReadOnlyDictionary<string, string>? Fields)
{
    public static ProblemResponse Field<T>(string name, T value, string message) =>
        new($"{name} \"{Convert.ToString(value, CultureInfo.InvariantCulture)}\" {message}", new Dictionary<string, string> { [name] = message });
}

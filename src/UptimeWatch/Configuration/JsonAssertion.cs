using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace UptimeWatch.Configuration;

/// <summary>
/// <c>$.path operator value</c>, e.g. <c>$.status == "UP"</c> or <c>$.queue.depth &lt; 100</c>. The path is
/// JSONPath evaluated by Newtonsoft.Json; the value is a JSON literal. Operators: <c>== != &lt; &lt;= &gt; &gt;=
/// contains exists</c>.
/// </summary>
internal sealed record JsonAssertion(string Path, string Operator, JToken? Expected, string Text)
{
    private static readonly string[] Operators = ["==", "!=", "<=", ">=", "<", ">", "contains", "exists"];

    public static bool TryParse(string text, [NotNullWhen(true)] out JsonAssertion? assertion, [NotNullWhen(false)] out string? error)
    {
        assertion = null;
        var parts = text.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !parts[0].StartsWith('$'))
        {
            error = "is not an assertion like $.status == \"UP\" (a JSONPath, an operator, a JSON value)";
            return false;
        }
        var (path, op) = (parts[0], parts[1]);
        if (!Operators.Contains(op))
        {
            error = $"has the unknown operator \"{op}\" (use one of {string.Join(" ", Operators)})";
            return false;
        }
        try
        {
            // Parses the path: a syntax error surfaces here, at start-up, not on the first check.
            new JObject().SelectToken(path);
        }
        catch (JsonException ex)
        {
            error = $"has an invalid JSONPath \"{path}\": {ex.Message}";
            return false;
        }

        JToken? expected = null;
        if (op == "exists")
        {
            if (parts.Length > 2)
            {
                error = "takes no value after exists";
                return false;
            }
        }
        else
        {
            if (parts.Length < 3)
            {
                error = $"needs a value after {op}";
                return false;
            }
            try
            {
                expected = Parse(parts[2]);
            }
            catch (JsonException)
            {
                error = $"has the value {parts[2]}, which is not JSON (quote strings: \"UP\")";
                return false;
            }
        }

        assertion = new JsonAssertion(path, op, expected, text.Trim());
        error = null;
        return true;
    }

    /// <summary>Evaluates against a response body; null when it holds, otherwise why not.</summary>
    public string? Check(string body)
    {
        JToken document;
        try
        {
            document = Parse(body);
        }
        catch (JsonException ex)
        {
            return $"the body is not JSON ({ex.Message.Split('.')[0]}), so {Text} cannot hold";
        }

        JToken? actual;
        try
        {
            actual = document.SelectToken(Path);
        }
        catch (JsonException ex)
        {
            return $"{Path} matches more than one value or none usable: {ex.Message}";
        }

        if (Operator == "exists")
        {
            return actual is null ? $"{Path} does not exist in the body" : null;
        }
        if (actual is null)
        {
            return $"{Text} failed: {Path} does not exist in the body";
        }

        var holds = Operator switch
        {
            "==" => Same(actual, Expected!),
            "!=" => !Same(actual, Expected!),
            "contains" => Contains(actual, Expected!),
            _ => Compare(actual, Expected!) is { } c && Operator switch
            {
                "<" => c < 0,
                "<=" => c <= 0,
                ">" => c > 0,
                _ => c >= 0,
            },
        };
        return holds ? null : $"{Text} failed: {Path} is {Shown(actual)}";
    }

    /// <summary>
    /// Like <see cref="JToken.Parse(string)"/>, but strings stay strings: by default Newtonsoft turns date-like
    /// strings into dates, and then <c>contains</c> and string comparison silently stop working on them.
    /// </summary>
    private static JToken Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        var token = JToken.ReadFrom(reader);
        while (reader.Read())
        {
            // As in JToken.Parse: anything after the value but comments makes the reader throw.
        }
        return token;
    }

    /// <summary>The actual value for a message, cut short: a whole array would not fit in an event log line.</summary>
    private static string Shown(JToken actual)
    {
        var text = actual.ToString(Formatting.None);
        return text.Length > 200 ? text[..200] + "…" : text;
    }

    private static bool Same(JToken actual, JToken expected) =>
        IsNumber(actual) && IsNumber(expected)
            ? CompareNumbers(actual, expected) == 0
            : JToken.DeepEquals(actual, expected);

    /// <summary>Exact (decimal) for the numbers people write; a value beyond decimal's range compares as double.</summary>
    private static int CompareNumbers(JToken actual, JToken expected)
    {
        try
        {
            return actual.Value<decimal>().CompareTo(expected.Value<decimal>());
        }
        catch (OverflowException)
        {
            return actual.Value<double>().CompareTo(expected.Value<double>());
        }
    }

    private static bool Contains(JToken actual, JToken expected) => actual switch
    {
        JArray array => array.Any(item => Same(item, expected)),
        JValue { Type: JTokenType.String } s => expected.Type == JTokenType.String
            && s.Value<string>()!.Contains(expected.Value<string>()!, StringComparison.Ordinal),
        _ => false,
    };

    private static int? Compare(JToken actual, JToken expected)
    {
        if (IsNumber(actual) && IsNumber(expected))
        {
            return CompareNumbers(actual, expected);
        }
        if (actual.Type == JTokenType.String && expected.Type == JTokenType.String)
        {
            return string.Compare(actual.Value<string>(), expected.Value<string>(), StringComparison.Ordinal);
        }
        return null;
    }

    private static bool IsNumber(JToken token) => token.Type is JTokenType.Integer or JTokenType.Float;

    public override string ToString() => Text;
}

using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// <see cref="JsonAssertion"/> on its own: the JSON checks of HTTP monitors, with the exact words a user sees.
/// (Beside the probe tests because it exists for them.)
/// </summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpJsonAssertionTests
{
    private static string? Check(string assertion, string body)
    {
        Assert.True(JsonAssertion.TryParse(assertion, out var parsed, out var error), error);
        return parsed.Check(body);
    }

    [Theory]
    [InlineData("$.n == 5", """{"n":5}""")]
    [InlineData("$.n == 5", """{"n":5.0}""")]
    [InlineData("$.n != 4", """{"n":5}""")]
    [InlineData("$.n <= 5", """{"n":5}""")]
    [InlineData("$.n >= 5", """{"n":5}""")]
    [InlineData("$.n > 4.5", """{"n":5}""")]
    [InlineData("$.s == \"two words\"", """{"s":"two words"}""")]
    [InlineData("$.ok == true", """{"ok":true}""")]
    [InlineData("$.gone == null", """{"gone":null}""")]
    [InlineData("$.items[0].id == 7", """{"items":[{"id":7}]}""")]
    [InlineData("$.ids contains 3", """{"ids":[1,2,3]}""")]
    [InlineData("$.name exists", """{"name":""}""")]
    public void Holding_assertions_pass(string assertion, string body) => Assert.Null(Check(assertion, body));

    [Fact]
    public void Date_like_strings_stay_strings_for_contains()
    {
        Assert.Null(Check("$.deployed contains \"2026-01\"", """{"deployed":"2026-01-15T10:00:00Z"}"""));
    }

    [Fact]
    public void Date_like_strings_compare_as_text()
    {
        Assert.Null(Check("$.day < \"2026-02-01\"", """{"day":"2026-01-15"}"""));
    }

    [Fact]
    public void Date_like_strings_are_shown_as_sent()
    {
        Assert.Equal("$.day == \"2026-01-16\" failed: $.day is \"2026-01-15T10:00:00Z\"",
            Check("$.day == \"2026-01-16\"", """{"day":"2026-01-15T10:00:00Z"}"""));
    }

    [Fact]
    public void A_number_beyond_decimal_range_is_compared_not_crashed_on()
    {
        Assert.Null(Check("$.big > 100", """{"big":1e300}"""));
        Assert.Equal("$.big < 100 failed: $.big is 1E+300", Check("$.big < 100", """{"big":1e300}"""));
    }

    [Fact]
    public void Comparing_a_string_with_a_number_fails_and_shows_the_value()
    {
        Assert.Equal("$.n < 5 failed: $.n is \"three\"", Check("$.n < 5", """{"n":"three"}"""));
    }

    [Fact]
    public void A_path_that_matches_several_values_is_explained()
    {
        Assert.Equal("$.items[*].id matches more than one value or none usable: Path returned multiple tokens.",
            Check("$.items[*].id == 1", """{"items":[{"id":1},{"id":2}]}"""));
    }

    [Fact]
    public void Trailing_text_after_the_json_is_not_json()
    {
        Assert.StartsWith("the body is not JSON (Additional text encountered after finished reading JSON content: x",
            Check("$.a == 1", """{"a":1} x"""));
    }

    [Fact]
    public void A_huge_actual_value_is_shortened_in_the_message()
    {
        var body = "{\"list\":[" + string.Join(",", Enumerable.Range(0, 1000)) + "]}";

        var message = Check("$.list contains 5000", body)!;

        Assert.StartsWith("$.list contains 5000 failed: $.list is [0,1,2,", message);
        Assert.EndsWith("…", message);
        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void A_missing_path_fails_a_comparison()
    {
        Assert.Equal("$.a == 1 failed: $.a does not exist in the body", Check("$.a == 1", "{}"));
    }
}

using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Probing;

/// <summary>What the probe checks in an answer besides the status: forbidden text, JSON, response headers.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class HttpProbeAssertionTests : IAsyncLifetime
{
    private const string Health = """{"status":"UP","queue":{"depth":5},"tags":["db","cache"],"version":"2.1.0"}""";

    private ProbedSite _site = null!;

    public async Task InitializeAsync() => _site = await ProbedSite.StartAsync(() => ProbeHost.Create());

    public async Task DisposeAsync() => await _site.DisposeAsync();

    private string Text(string body) => _site.Target.Url("/text?body=" + Uri.EscapeDataString(body)).ToString();

    private string Json(string body) => _site.Target.Url("/json?body=" + Uri.EscapeDataString(body)).ToString();

    /// <summary>A check of a target that answers with the headers in <paramref name="query"/>, requiring <paramref name="required"/>.</summary>
    private Task<ProbeResult> HeaderCheck(string query, params (string Field, string? Value)[] required) =>
        _site.Probe.CheckAsync([("Url", _site.Target.Url("/with-headers?" + query).ToString()), .. required]);

    /// <summary>The check succeeds (its error, if any, is the failure message).</summary>
    private static async Task PassesAsync(Task<ProbeResult> check)
    {
        var result = await check;

        Assert.True(result.Success, result.Error);
    }

    private Task<ProbeResult> JsonCheck(string assertion, string body = Health) =>
        _site.Probe.CheckAsync(("Url", Json(body)), ("Json", assertion));

    [Fact]
    public Task An_absent_forbidden_keyword_is_a_success() =>
        PassesAsync(_site.Probe.CheckAsync(("Url", Text("all good")), ("KeywordAbsent", "error")));

    [Fact]
    public async Task A_forbidden_keyword_in_the_body_is_a_failure_that_names_it()
    {
        var result = await _site.Probe.CheckAsync(("Url", Text("error: disk full")), ("KeywordAbsent", "error"));

        Assert.False(result.Success);
        Assert.Equal(FailureKind.KeywordPresent, result.Failure);
        Assert.Equal("forbidden keyword \"error\" found in the body", result.Error);
    }

    [Fact]
    public Task Keyword_and_forbidden_keyword_are_checked_on_one_read_of_the_body() =>
        PassesAsync(_site.Probe.CheckAsync(("Url", Text("status: ready, no errors")), ("Keyword", "ready"), ("KeywordAbsent", "maintenance")));

    [Fact]
    public Task A_keyword_with_non_ascii_text_is_found() =>
        PassesAsync(_site.Probe.CheckAsync(("Url", Text("Größe: ok ✓")), ("Keyword", "Größe: ok ✓")));

    [Fact]
    public Task Json_equality_that_holds_is_a_success() => PassesAsync(JsonCheck("$.status == \"UP\""));

    [Fact]
    public async Task Json_equality_that_fails_says_what_the_value_was()
    {
        var result = await JsonCheck("$.status == \"DOWN\"");

        Assert.False(result.Success);
        Assert.Equal(FailureKind.JsonAssertionFailed, result.Failure);
        Assert.Equal("$.status == \"DOWN\" failed: $.status is \"UP\"", result.Error);
    }

    /// <summary>Less-than compares numbers; exists fails for a missing field.</summary>
    [Theory]
    [InlineData("$.queue.depth < 10", "$.queue.depth < 5", "$.queue.depth < 5 failed: $.queue.depth is 5")]
    [InlineData("$.queue exists", "$.uptime exists", "$.uptime does not exist in the body")]
    public async Task A_json_assertion_holds_or_fails_saying_why(string holds, string fails, string error)
    {
        Assert.True((await JsonCheck(holds)).Success);

        var result = await JsonCheck(fails);
        Assert.Equal(FailureKind.JsonAssertionFailed, result.Failure);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public async Task Json_contains_looks_into_arrays()
    {
        Assert.True((await JsonCheck("$.tags contains \"cache\"")).Success);

        var result = await JsonCheck("$.tags contains \"queue\"");
        Assert.Equal("$.tags contains \"queue\" failed: $.tags is [\"db\",\"cache\"]", result.Error);
    }

    [Fact]
    public Task Json_contains_looks_into_strings() => PassesAsync(JsonCheck("$.version contains \"2.1\""));

    [Fact]
    public async Task A_body_that_is_not_json_fails_the_json_assertion_and_says_so()
    {
        var result = await _site.Probe.CheckAsync(("Url", Text("<html>maintenance</html>")), ("Json", "$.status == \"UP\""));

        Assert.False(result.Success);
        Assert.Equal(FailureKind.JsonAssertionFailed, result.Failure);
        Assert.Equal("the body is not JSON (Unexpected character encountered while parsing value: <), so $.status == \"UP\" cannot hold",
            result.Error);
    }

    [Fact]
    public Task A_required_header_with_the_required_text_is_a_success() =>
        PassesAsync(HeaderCheck("X-Version=2.1.0", ("RequiredHeaders:X-Version", "2.1")));

    [Fact]
    public Task Required_header_names_and_values_are_matched_regardless_of_case() =>
        PassesAsync(HeaderCheck("X-Mode=Primary", ("RequiredHeaders:x-mode", "PRIMARY"), ("RequiredHeaders:content-type", "text/plain")));

    [Fact]
    public Task A_required_header_with_no_value_only_has_to_be_present() =>
        PassesAsync(HeaderCheck("X-Served-By=web-3", ("RequiredHeaders:X-Served-By", "")));

    [Fact]
    public async Task A_missing_required_header_is_a_failure_that_names_it()
    {
        var result = await _site.Probe.CheckAsync(("Url", _site.Target.Url("/ok").ToString()), ("RequiredHeaders:X-Served-By", ""));

        Assert.False(result.Success);
        Assert.Equal(FailureKind.HeaderMissing, result.Failure);
        Assert.Equal("response header X-Served-By is missing", result.Error);
    }

    [Fact]
    public async Task A_required_header_with_another_value_is_a_failure_that_shows_what_was_found()
    {
        var result = await HeaderCheck("X-Version=2.1.0", ("RequiredHeaders:X-Version", "3."));

        Assert.False(result.Success);
        Assert.Equal(FailureKind.HeaderMissing, result.Failure);
        Assert.Equal("response header X-Version is \"2.1.0\", which does not contain \"3.\"", result.Error);
    }
}

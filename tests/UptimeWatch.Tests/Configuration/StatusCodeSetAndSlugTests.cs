using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class StatusCodeSetAndSlugTests
{
    [Theory]
    [InlineData("200", 200, true)]
    [InlineData("200", 201, false)]
    [InlineData("200-299", 299, true)]
    [InlineData("200-299", 300, false)]
    [InlineData("200, 301-302", 302, true)]
    [InlineData("200, 301-302", 303, false)]
    [InlineData("404", 404, true)]
    public void Lists_and_ranges_match_the_codes_they_name(string text, int status, bool expected)
    {
        Assert.True(StatusCodeSet.TryParse(text, out var set));
        Assert.Equal(expected, set.Contains(status));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2xx")]
    [InlineData("200-")]
    [InlineData("-200")]
    [InlineData("300-200")]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("200,,201")]
    public void Unparsable_sets_are_rejected(string text) => Assert.False(StatusCodeSet.TryParse(text, out _));

    [Fact]
    public void The_canonical_form_round_trips() =>
        Assert.Equal("200-299,301", StatusCodeSet.TryParse(" 200-299 , 301 ", out var set) ? set.ToString() : null);

    [Theory]
    [InlineData("Main API (EU)", "main-api-eu")]
    [InlineData("  Café Crème  ", "cafe-creme")]
    [InlineData("api.example.com/health", "api-example-com-health")]
    [InlineData("UPPER lower 123", "upper-lower-123")]
    public void Slugs_are_lower_case_ascii_words_joined_by_dashes(string name, string slug) => Assert.Equal(slug, Slug.From(name));

    [Fact]
    public void A_name_without_ascii_letters_still_gets_a_stable_slug()
    {
        var slug = Slug.From("監視");

        Assert.Matches("^monitor-[0-9a-f]{8}$", slug);
        Assert.Equal(slug, Slug.From("監視"));
        Assert.NotEqual(slug, Slug.From("監視2"[..2] + "x"));
    }
}

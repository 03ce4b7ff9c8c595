using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class ConfigFolderFileProviderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("uw-configfolder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<bool> ChangedWithin(Microsoft.Extensions.Primitives.IChangeToken token, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!token.HasChanged && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return token.HasChanged;
    }

    [Fact]
    public async Task Writes_in_a_subfolder_do_not_count_as_a_change_of_the_config_file()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{}");
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        using var files = new ConfigFolderFileProvider(_dir);
        var token = files.Watch("config.json");

        for (var i = 0; i < 20; i++)
        {
            File.AppendAllText(Path.Combine(data, "uptimewatch.db-wal"), "frame");
        }

        Assert.False(await ChangedWithin(token, TimeSpan.FromMilliseconds(700)));
    }

    [Fact]
    public async Task Editing_or_replacing_the_config_file_is_a_change()
    {
        var config = Path.Combine(_dir, "config.json");
        File.WriteAllText(config, "{}");
        using var files = new ConfigFolderFileProvider(_dir);
        Assert.True(files.GetFileInfo("config.json").Exists);

        var edited = files.Watch("config.json");
        File.WriteAllText(config, """{ "a": 1 }""");
        Assert.True(await ChangedWithin(edited, TimeSpan.FromSeconds(5)));

        // Editors that save to a temporary file and rename it over the original.
        var replaced = files.Watch("/config.json");
        File.WriteAllText(Path.Combine(_dir, "config.json.tmp"), """{ "a": 2 }""");
        File.Move(Path.Combine(_dir, "config.json.tmp"), config, overwrite: true);
        Assert.True(await ChangedWithin(replaced, TimeSpan.FromSeconds(5)));
    }
}

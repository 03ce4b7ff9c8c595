namespace UptimeWatch.Alerting;

/// <summary>Placeholder until the channel senders land: no channels yet.</summary>
internal static class ChannelConfigReader
{
    public static IReadOnlyList<ChannelSettings> Read(IConfigurationSection channels, List<string> errors)
    {
        if (channels.GetChildren().Any())
        {
            errors.Add("Alerting:Channels is not supported by this build yet");
        }
        return [];
    }
}

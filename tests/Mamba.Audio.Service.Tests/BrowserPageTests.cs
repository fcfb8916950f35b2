using Mamba.Audio.Service.Tests.Support;
using PuppeteerSharp;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// The page at / in a real headless Chromium (Debian's chromium, driven over the DevTools protocol by
/// PuppeteerSharp): it loads, lists the model, starts a stream with the Start button, receives audio
/// blocks, and its AudioWorklet plays them (the worklet's own sample counter advances). A screenshot
/// is saved beside the test output. .ci/run installs chromium; without it this test fails and says so.
/// </summary>
public class BrowserPageTests(ITestOutputHelper output)
{
    public const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task ThePage_StartsAStream_AndItsAudioWorkletPlaysIt()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install chromium; .ci/run does).");
        await using var server = await TestService.StartAsync();
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--use-fake-device-for-media-stream"],
        });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 860 });
        var console = new List<string>();
        page.Console += (_, e) => console.Add($"{e.Message.Type}: {e.Message.Text}");
        page.PageError += (_, e) => console.Add($"page error: {e.Message}");
        await page.GoToAsync(new Uri(server.HttpUri, $"?token={TestService.Token}").ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#model option').length > 0", new WaitForFunctionOptions { Timeout = 10_000 });
        await page.ClickAsync("#start");
        await page.WaitForFunctionAsync("() => window.mambaPage.played > 8000 && window.mambaPage.blocks > 5 && window.mambaPage.stats !== null", new WaitForFunctionOptions { Timeout = 20_000 });
        var state = await page.EvaluateExpressionAsync<PageState>("({ state: window.mambaPage.state, blocks: window.mambaPage.blocks, played: window.mambaPage.played, underruns: window.mambaPage.underruns, error: window.mambaPage.error })");
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var shot = Path.Combine(folder, "service-page.png");
        await page.ScreenshotAsync(shot);
        output.WriteLine($"page {state.State}: {state.Blocks} blocks received, the worklet played {state.Played} samples, {state.Underruns} underruns; screenshot {shot}");
        foreach (var line in console) output.WriteLine("console " + line);
        Assert.Equal("playing", state.State);
        Assert.Null(state.Error);
        await page.ClickAsync("#stop");
        await page.WaitForFunctionAsync("() => window.mambaPage.state === 'stopped' || window.mambaPage.state === 'closed'", new WaitForFunctionOptions { Timeout = 10_000 });
        Assert.True(new FileInfo(shot).Length > 1000);
    }

    public sealed record PageState(string State, int Blocks, long Played, int Underruns, string? Error);
}

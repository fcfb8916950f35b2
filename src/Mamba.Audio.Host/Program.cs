return Mamba.Audio.Host.MambaAudioApp.Run(args);

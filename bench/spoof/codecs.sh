# Sourced by make_spoof_perc.sh and newchannels.sh: one codec round trip, shared so that training
# copies and never-trained test channels go through the same commands.
#
# codec_roundtrip SPEC SRC WAV: encodes SRC with the codec SPEC, decodes it and writes WAV (8 kHz
# for mp3/vorbis/opus, as the decoder gives for speex); intermediate files WAV.* are removed.
# SPEC: mp3-KBITS (sox -C), vorbis-QUALITY (sox -C, e.g. vorbis--1), opus-KBITS (opus-tools:
# narrowband VBR, 20 ms frames) or speex (speex: narrowband, quality 4, ~8 kbit/s).
codec_roundtrip() {
	spec=$1 src=$2 wav=$3
	case $spec in
	mp3-*) sox -R "$src" -C "${spec#mp3-}" "$wav.mp3" && sox -R "$wav.mp3" -r 8000 "$wav" ;;
	vorbis-*) sox -R "$src" -C "${spec#vorbis-}" "$wav.ogg" && sox -R "$wav.ogg" -r 8000 "$wav" ;;
	opus-*) sox -R "$src" -e signed -b 16 "$wav.in.wav" &&
		opusenc --quiet --bitrate "${spec#opus-}" --framesize 20 "$wav.in.wav" "$wav.opus" &&
		opusdec --quiet --rate 8000 "$wav.opus" "$wav" ;;
	speex) sox -R "$src" -e signed -b 16 "$wav.in.wav" &&
		speexenc --quiet --narrowband --quality 4 "$wav.in.wav" "$wav.spx" &&
		speexdec --quiet "$wav.spx" "$wav" ;;
	*) echo "codec_roundtrip: unknown codec $spec" >&2; return 2 ;;
	esac
	rc=$?
	rm -f "$wav.mp3" "$wav.ogg" "$wav.in.wav" "$wav.opus" "$wav.spx"
	return $rc
}

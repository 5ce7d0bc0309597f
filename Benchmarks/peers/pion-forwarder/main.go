// pion-forwarder: a minimal WHIP/WHEP forwarder on Pion WebRTC v3, the peer Switchboard is
// benchmarked against (Benchmarks/peers/compare.py). It does what a Pion-based SFU does per
// packet: read RTP from the publisher's track, write it to one TrackLocalStaticRTP that every
// viewer's sender is bound to; Pion's default interceptors (NACK, RTCP reports, TWCC) run as
// in any Pion application. Like Switchboard it is ICE-lite on one UDP port.
//
//	POST /whip/{room}  SDP offer -> 201 answer, Location /whip/{room}/{id}
//	POST /whep/{room}  SDP offer (recvonly) -> 201 answer with every track of the room
//	DELETE {Location}
//
// Build offline in GOPATH mode (Benchmarks/peers/build.sh). No authentication: a benchmark
// peer only, bound to 127.0.0.1.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
)

type room struct {
	mu     sync.Mutex
	tracks []*forwardedTrack
}

type forwardedTrack struct {
	local     *webrtc.TrackLocalStaticRTP
	publisher *webrtc.PeerConnection
	ssrc      atomic.Uint32 // the publisher's SSRC, once its first packet arrived
}

var (
	api      *webrtc.API
	roomsMu  sync.Mutex
	rooms    = map[string]*room{}
	sessions sync.Map // id -> *webrtc.PeerConnection
	nextID   atomic.Uint64
)

func getRoom(name string) *room {
	roomsMu.Lock()
	defer roomsMu.Unlock()
	r, ok := rooms[name]
	if !ok {
		r = &room{}
		rooms[name] = r
	}
	return r
}

func main() {
	httpAddr := flag.String("http", "127.0.0.1:7980", "HTTP listen address")
	udpAddr := flag.String("udp", "127.0.0.1:7982", "media UDP address (one port for everything)")
	flag.Parse()

	media := &webrtc.MediaEngine{}
	if err := media.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		log.Fatal(err)
	}
	videoFeedback := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "goog-remb"}}
	if err := media.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		log.Fatal(err)
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(media, registry); err != nil {
		log.Fatal(err)
	}

	conn, err := net.ListenPacket("udp4", *udpAddr)
	if err != nil {
		log.Fatal(err)
	}
	settings := webrtc.SettingEngine{}
	settings.SetLite(true)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEUDPMux(webrtc.NewICEUDPMux(nil, conn))
	host := strings.Split(*udpAddr, ":")[0]
	settings.SetNAT1To1IPs([]string{host}, webrtc.ICECandidateTypeHost)
	settings.SetIncludeLoopbackCandidate(true)
	api = webrtc.NewAPI(webrtc.WithMediaEngine(media), webrtc.WithInterceptorRegistry(registry), webrtc.WithSettingEngine(settings))

	http.HandleFunc("/whip/", func(w http.ResponseWriter, r *http.Request) { handle(w, r, true) })
	http.HandleFunc("/whep/", func(w http.ResponseWriter, r *http.Request) { handle(w, r, false) })
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("pion-forwarder: http %s, udp %s", *httpAddr, conn.LocalAddr())
	log.Fatal(http.ListenAndServe(*httpAddr, nil))
}

func handle(w http.ResponseWriter, r *http.Request, publish bool) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 2:
		offer, err := io.ReadAll(io.LimitReader(r.Body, 64*1024))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var answer string
		id := fmt.Sprintf("s%d", nextID.Add(1))
		if publish {
			answer, err = startPublisher(getRoom(parts[1]), id, string(offer))
		} else {
			answer, err = startViewer(getRoom(parts[1]), id, string(offer))
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", "/"+parts[0]+"/"+parts[1]+"/"+id)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, answer)
	case r.Method == http.MethodDelete && len(parts) == 3:
		if pc, ok := sessions.LoadAndDelete(parts[2]); ok {
			pc.(*webrtc.PeerConnection).Close()
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	case r.Method == http.MethodPatch:
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// answer applies the offer and returns the complete answer (ICE-lite: candidates gathered at once).
func answer(pc *webrtc.PeerConnection, offer string, before func() error) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	if before != nil {
		if err := before(); err != nil {
			return "", err
		}
	}
	desc, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

func startPublisher(rm *room, id, offer string) (string, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	sessions.Store(id, pc)
	// One local track per kind the publisher sends, created now so viewers can bind to it
	// before the first packet arrives; OnTrack feeds it.
	var mu sync.Mutex
	byKind := map[webrtc.RTPCodecType][]*forwardedTrack{}
	answerSDP, err := answer(pc, offer, func() error {
		for i, t := range pc.GetTransceivers() {
			kind := t.Kind()
			codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
			if kind == webrtc.RTPCodecTypeAudio {
				codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
			}
			local, err := webrtc.NewTrackLocalStaticRTP(codec, fmt.Sprintf("%s-%d", id, i), id)
			if err != nil {
				return err
			}
			ft := &forwardedTrack{local: local, publisher: pc}
			byKind[kind] = append(byKind[kind], ft)
			rm.mu.Lock()
			rm.tracks = append(rm.tracks, ft)
			rm.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		removeTracks(rm, pc)
		sessions.Delete(id)
		pc.Close()
		return "", err
	}
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		mu.Lock()
		queue := byKind[remote.Kind()]
		if len(queue) == 0 {
			mu.Unlock()
			return
		}
		ft := queue[0]
		byKind[remote.Kind()] = queue[1:]
		mu.Unlock()
		ft.ssrc.Store(uint32(remote.SSRC()))
		for {
			packet, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			if err := ft.local.WriteRTP(packet); err != nil && err != io.ErrClosedPipe {
				return
			}
		}
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		if state == webrtc.PeerConnectionStateFailed || state == webrtc.PeerConnectionStateClosed {
			removeTracks(rm, pc)
			sessions.Delete(id)
		}
	})
	return answerSDP, nil
}

// removeTracks drops the tracks `publisher` fed from the room.
func removeTracks(rm *room, publisher *webrtc.PeerConnection) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	kept := rm.tracks[:0]
	for _, t := range rm.tracks {
		if t.publisher != publisher {
			kept = append(kept, t)
		}
	}
	rm.tracks = kept
}

func startViewer(rm *room, id, offer string) (string, error) {
	rm.mu.Lock()
	tracks := append([]*forwardedTrack(nil), rm.tracks...)
	rm.mu.Unlock()
	if len(tracks) == 0 {
		return "", fmt.Errorf("nothing is published in this room")
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	sessions.Store(id, pc)
	answerSDP, err := answer(pc, offer, func() error {
		for _, ft := range tracks {
			sender, err := pc.AddTrack(ft.local)
			if err != nil {
				return err
			}
			go relayFeedback(sender, ft)
		}
		return nil
	})
	if err != nil {
		sessions.Delete(id)
		pc.Close()
		return "", err
	}
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		if state == webrtc.PeerConnectionStateFailed || state == webrtc.PeerConnectionStateClosed {
			sessions.Delete(id)
		}
	})
	return answerSDP, nil
}

// relayFeedback reads the viewer's RTCP (the interceptors answer NACKs from it) and passes
// keyframe requests on to the publisher.
func relayFeedback(sender *webrtc.RTPSender, ft *forwardedTrack) {
	for {
		packets, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range packets {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if ssrc := ft.ssrc.Load(); ssrc != 0 {
					_ = ft.publisher.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
				}
			}
		}
	}
}

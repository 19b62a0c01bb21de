package host

import (
	"context"
	"testing"
)

func BenchmarkGatherRootfs(b *testing.B) {
	for b.Loop() {
		if _, err := Gather(context.Background(), Options{Rootfs: fixture}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGatherLive(b *testing.B) {
	for b.Loop() {
		if _, err := Gather(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

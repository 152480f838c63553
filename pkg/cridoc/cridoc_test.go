package cridoc

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crictl/crictl/pkg/output"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestContainerTimes(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, tc := range []struct {
		state                 runtimeapi.ContainerState
		finished              int64
		wantStarted, wantDone bool
	}{
		{runtimeapi.ContainerState_CONTAINER_CREATED, 0, false, false},
		{runtimeapi.ContainerState_CONTAINER_RUNNING, 0, true, false},
		{runtimeapi.ContainerState_CONTAINER_EXITED, created.Add(2 * time.Second).UnixNano(), true, true},
		{runtimeapi.ContainerState_CONTAINER_UNKNOWN, created.Add(2 * time.Second).UnixNano(), true, true},
	} {
		r := &runtimeapi.ContainerStatusResponse{
			Status: &runtimeapi.ContainerStatus{Id: "c1", State: tc.state, CreatedAt: created.UnixNano(), StartedAt: created.Add(time.Second).UnixNano(), FinishedAt: tc.finished},
			Info:   map[string]string{"info": `{"pid": 12345678901234567890}`, "plain": `"quoted"`},
		}
		doc, err := Container(r, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		st := doc["status"].(map[string]any)
		if st["createdAt"] != "2026-01-02T03:04:05.000000006Z" {
			t.Errorf("%v: createdAt %v", tc.state, st["createdAt"])
		}
		zero := "0001-01-01T00:00:00Z"
		if got := st["startedAt"] != zero; got != tc.wantStarted {
			t.Errorf("%v: startedAt %v", tc.state, st["startedAt"])
		}
		if got := st["finishedAt"] != zero; got != tc.wantDone {
			t.Errorf("%v: finishedAt %v", tc.state, st["finishedAt"])
		}
		if doc["plain"] != "quoted" {
			t.Errorf("plain = %v", doc["plain"])
		}
		if pid := doc["info"].(map[string]any)["pid"]; pid != json.Number("12345678901234567890") {
			t.Errorf("pid = %v, want its exact digits", pid)
		}
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	doc, err := Info(&runtimeapi.StatusResponse{
		Status:          &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{{Type: "RuntimeReady", Status: true}}},
		RuntimeHandlers: []*runtimeapi.RuntimeHandler{{Name: "runc"}},
		Features:        &runtimeapi.RuntimeFeatures{SupplementalGroupsPolicy: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := output.MarshalJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"status", "runtimeHandlers", "features"} {
		if doc[key] == nil {
			t.Errorf("no %s in %s", key, b)
		}
	}
}

func TestPodAndImage(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 3600)
	doc, err := Pod(&runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{Id: "p", CreatedAt: 1}}, loc)
	if err != nil || doc["status"].(map[string]any)["createdAt"] != "1970-01-01T01:00:00.000000001+01:00" {
		t.Errorf("Pod: %v, %v", doc, err)
	}
	doc, err = Image(&runtimeapi.ImageStatusResponse{Image: &runtimeapi.Image{Id: "sha256:1"}, Info: map[string]string{"info": "{}"}})
	if err != nil || doc["status"].(map[string]any)["id"] != "sha256:1" || doc["info"] == nil {
		t.Errorf("Image: %v, %v", doc, err)
	}
	if v := Version(&runtimeapi.VersionResponse{RuntimeName: "x"}, "v9"); v["runtimeName"] != "x" || v["crictlVersion"] != "v9" {
		t.Errorf("Version: %v", v)
	}
}

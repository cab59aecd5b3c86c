console.log("parley client: not yet");

// A Camunda 7 external-task worker written as its users write one, with the published client
// (camunda-external-task-client-js), against GROS's /api/v1. Each thing it does is printed as a JSON line.
// usage: node betaling.mjs BASE_URL USERNAME PASSWORD
import { BasicAuthInterceptor, Client, Variables } from "camunda-external-task-client-js";

const [baseUrl, username, password] = process.argv.slice(2);
const say = (what, task, extra = {}) =>
  console.log(JSON.stringify({ what, businessKey: task.businessKey, topic: task.topicName, ...extra }));

const client = new Client({
  baseUrl,
  workerId: "js-worker",
  interceptors: new BasicAuthInterceptor({ username, password }),
  asyncResponseTimeout: 1000,
  interval: 50,
  lockDuration: 10000,
  autoPoll: false,
});

client.subscribe("controle", { variables: ["iban", "bedrag"] }, async ({ task, taskService }) => {
  const iban = task.variables.get("iban");
  if (task.businessKey === "B-traag") {
    // Too slow: the worker pauses while its lock expires and another worker takes the task; its late
    // completion is refused, and it goes back to work.
    client.stop();
    say("locked", task);
    setTimeout(async () => {
      try {
        await taskService.complete(task);
        say("late-complete-accepted", task);
      } catch (error) {
        say("late-complete-refused", task, { message: String(error.message) });
      }
      client.start();
    }, 3000);
  } else if (iban === "ONGELDIG") {
    await taskService.handleBpmnError(task, "ONGELDIG", "rekening bestaat niet", new Variables().set("reden", "onbekend"));
    say("bpmn-error", task);
  } else if (task.retries === null) {
    await taskService.handleFailure(task, { errorMessage: "bank onbereikbaar", errorDetails: "timeout", retries: 1, retryTimeout: 0 });
    say("failed", task, { bedrag: task.variables.get("bedrag") });
  } else {
    await taskService.complete(task, new Variables().setAll({ gecontroleerd: true, controle: { door: "js" } }));
    say("completed", task, { retries: task.retries });
  }
});

client.subscribe("melding", async ({ task, taskService }) => {
  await taskService.complete(task, new Variables().set("gemeld", true));
  say("completed", task);
});

client.start();
